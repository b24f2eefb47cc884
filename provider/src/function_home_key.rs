//! `provider::studio::home_key(domain_name, kind, name)`: the home key the mapping table, the
//! history table and the import ids use, built by the one authority on it,
//! [`studio_core::HomeKey`].

use studio_core::home::check_name;
use studio_core::{HomeKey, HomeKind};
use tfplugin::framework::function::{
    Function, FunctionError, Parameter, Signature, string_argument,
};
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;

pub struct HomeKeyFunction;

impl Function for HomeKeyFunction {
    fn name(&self) -> &'static str {
        "home_key"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![
                Parameter::new(
                    "domain_name",
                    Type::String,
                    "The SageMaker domain's name (not its id): a recreated domain keeps its homes.",
                ),
                Parameter::new(
                    "kind",
                    Type::String,
                    "`user` for a user profile, `space` for a space.",
                ),
                Parameter::new("name", Type::String, "The user profile's or space's name."),
            ],
            returns: Type::String,
            summary: "The home key of a user profile or space".into(),
            description:
                "Returns `<domain_name>/<kind>/<name>`, the key of a home in the mapping and \
                          history tables and the import id of `studio_restore_target` and \
                          `studio_replication`. Fails, naming the argument, when a name is not a \
                          valid SageMaker name or `kind` is neither `user` nor `space`."
                    .into(),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let domain_name = string_argument(arguments, 0, "domain_name")?;
        let kind = string_argument(arguments, 1, "kind")?;
        let name = string_argument(arguments, 2, "name")?;
        check_name("domain name", domain_name)
            .map_err(|e| FunctionError::argument(0, format!("domain_name: {e}")))?;
        let kind: HomeKind = kind
            .parse()
            .map_err(|e| FunctionError::argument(1, format!("kind: {e}")))?;
        // The domain name is valid, so what HomeKey refuses now is the name.
        let key = HomeKey::new(domain_name, kind, name)
            .map_err(|e| FunctionError::argument(2, format!("name: {e}")))?;
        Ok(Value::string(key.to_string()))
    }
}
