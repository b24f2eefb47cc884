//! `provider::studio::efs_home_path(uid)`: where a home directory is on its domain's EFS file
//! system, by the one authority on it, [`studio_core::Uid`].

use studio_core::Uid;
use tfplugin::framework::function::{Function, FunctionError, Parameter, Signature};
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;

pub struct EfsHomePathFunction;

impl Function for EfsHomePathFunction {
    fn name(&self) -> &'static str {
        "efs_home_path"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![Parameter::new(
                "uid",
                Type::Number,
                "The home directory's POSIX uid, as SageMaker reports it (`HomeEfsFileSystemUid`): a \
                 positive whole number.",
            )],
            returns: Type::String,
            summary: "The EFS path of a home directory".into(),
            description: "Returns `/<uid>`, the directory of a user profile's or space's home on its \
                          domain's EFS file system (for an EFS access point's `root_directory`, say). \
                          Fails, naming the argument, when `uid` is not a positive whole number."
                .into(),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let number = arguments
            .first()
            .and_then(Value::as_number)
            .ok_or_else(|| FunctionError::argument(0, "uid must be a number"))?;
        let not_a_uid = |why: &str| {
            FunctionError::argument(
                0,
                format!(
                    "uid: {} is {why}: a home uid is a positive whole number (SageMaker assigns \
                     200000 and up)",
                    number.to_decimal_string()
                ),
            )
        };
        if !number.is_integer() {
            return Err(not_a_uid("not a whole number"));
        }
        let uid = number.as_i64().ok_or_else(|| not_a_uid("too large"))?;
        let uid = Uid::new(uid).map_err(|e| FunctionError::argument(0, format!("uid: {e}")))?;
        Ok(Value::string(uid.directory()))
    }
}
