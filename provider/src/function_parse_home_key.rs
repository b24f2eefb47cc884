//! `provider::studio::parse_home_key(key)`: the parts of a home key, read by the one authority
//! on home keys, [`studio_core::HomeKey`].

use studio_core::HomeKey;
use tfplugin::framework::function::{
    Function, FunctionError, Parameter, Signature, string_argument,
};
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;

pub struct ParseHomeKeyFunction;

/// The attributes of the result, in the order of the key.
const PARTS: [&str; 3] = ["domain_name", "kind", "name"];

impl Function for ParseHomeKeyFunction {
    fn name(&self) -> &'static str {
        "parse_home_key"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![Parameter::new(
                "key",
                Type::String,
                "A home key, `<domain name>/user/<profile name>` or `<domain name>/space/<space name>`.",
            )],
            returns: Type::object(PARTS.map(|part| (part, Type::String))),
            summary: "The domain name, kind and name of a home key".into(),
            description: "Returns `{ domain_name, kind, name }` from a home key such as the `id` of \
                          `studio_restore_target` or `studio_replication`: the inverse of `home_key`. \
                          Fails, naming the argument, when the key is not a valid home key."
                .into(),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let key: HomeKey = string_argument(arguments, 0, "key")?
            .parse()
            .map_err(|e| FunctionError::argument(0, format!("key: {e}")))?;
        Ok(Value::object([
            ("domain_name", Value::string(&key.domain_name)),
            ("kind", Value::string(key.kind.as_str())),
            ("name", Value::string(&key.name)),
        ]))
    }
}
