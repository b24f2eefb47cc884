//! The `studio` Terraform provider: declarative SageMaker Studio home-directory restores.
//!
//! The protocol lives in `tfplugin`, the AWS logic in `studio-core`; this crate is the provider
//! configuration plus one file per resource and data source, registered in [`registry`].
//!
//! Modules, from the bottom up (no module uses one above it; a test below checks there is no
//! cycle): [`config`]; [`clients`] (the configured AWS clients and tables); [`attrs`]
//! (identifier rules, computed-result lists); [`errors`] (core errors as diagnostics);
//! [`home_attrs`] (the attributes that name a home); [`home_results`] (the schema the user
//! profile and space data sources share); [`home_identity`] (the resource identity of the
//! resources about one home); [`finders`] (domain, profile and space lookups);
//! [`list_filter`] (the filters of the list resources); the `resource_*`, `data_source_*` and
//! `function_*` types; the `list_*` types (list resources for `terraform query`, over their
//! resource's state and identity); [`registry`]; [`provider`] on top.

pub mod action_restore;
pub mod attrs;
pub mod clients;
pub mod config;
pub mod data_source_domain;
pub mod data_source_home_directories;
pub mod data_source_restore_history;
pub mod data_source_space;
pub mod data_source_user_profile;
pub mod errors;
pub mod finders;
pub mod function_efs_home_path;
pub mod function_home_key;
pub mod function_parse_home_key;
pub mod home_attrs;
pub mod home_identity;
pub mod home_results;
pub mod list_filter;
pub mod list_profile_restore;
pub mod list_replication;
pub mod list_restore_target;
pub mod provider;
pub mod registry;
pub mod resource_home_retention;
pub mod resource_profile_restore;
pub mod resource_replication;
pub mod resource_restore_target;
pub mod test_hooks;

pub use clients::{StudioClients, clients};
pub use provider::{ADDRESS, StudioProvider};

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    type Graph = BTreeMap<String, BTreeSet<String>>;

    /// The modules of `src/` and, for each, the modules it names as `crate::<module>`.
    fn module_graph() -> Graph {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut graph = Graph::new();
        for entry in std::fs::read_dir(src).expect("src/") {
            let path = entry.expect("a file").path();
            let module = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if path.extension().is_none_or(|e| e != "rs") || ["lib", "main"].contains(&module) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a readable file");
            let uses = crate_references(&text)
                .into_iter()
                .filter(|used| used != module)
                .collect();
            graph.insert(module.to_owned(), uses);
        }
        graph
    }

    /// The first path segments after every `crate::` in `text`: `crate::a::f` and
    /// `use crate::{a, b::c}` give `a` (and `b`).
    fn crate_references(text: &str) -> Vec<String> {
        let ident = |s: &str| -> String {
            s.trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        let mut found = Vec::new();
        for (at, _) in text.match_indices("crate::") {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let rest = &text[at + "crate::".len()..];
            let Some(group) = rest.strip_prefix('{') else {
                found.push(ident(rest));
                continue;
            };
            // `{a, b::{c, d}}`: the first segment of each item at the top level.
            let (mut depth, mut item_start) = (0, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.push(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        }
        found.retain(|m| !m.is_empty() && m != "self");
        found
    }

    /// A cycle of `graph` (its first module repeated at the end), if there is one.
    fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
        fn visit(
            module: &str,
            graph: &Graph,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|m| m == module) {
                let mut cycle = path[start..].to_vec();
                cycle.push(module.to_owned());
                return Some(cycle);
            }
            if done.contains(module) {
                return None;
            }
            path.push(module.to_owned());
            for next in graph.get(module).into_iter().flatten() {
                if let Some(cycle) = visit(next, graph, path, done) {
                    return Some(cycle);
                }
            }
            path.pop();
            done.insert(module.to_owned());
            None
        }
        let mut done = BTreeSet::new();
        graph
            .keys()
            .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
    }

    #[test]
    fn modules_import_each_other_without_cycles() {
        let graph = module_graph();
        assert!(
            graph["provider"].contains("registry")
                && graph["registry"].contains("data_source_domain"),
            "the graph is read: {graph:?}"
        );
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "provider/src has an import cycle: {}. Move what both sides need into a module \
                 below them (see the module list in lib.rs).",
                cycle.join(" -> ")
            );
        }
        for (module, uses) in &graph {
            assert!(
                !uses.contains("provider"),
                "{module} uses the provider module: it sits on top; use crate::clients instead"
            );
        }
    }

    #[test]
    fn the_cycle_check_finds_cycles() {
        let edges = |pairs: &[(&str, &str)]| {
            let mut graph = Graph::new();
            for (from, to) in pairs {
                graph
                    .entry((*from).to_owned())
                    .or_default()
                    .insert((*to).to_owned());
                graph.entry((*to).to_owned()).or_default();
            }
            graph
        };
        assert_eq!(
            find_cycle(&edges(&[("a", "b"), ("b", "c"), ("a", "c")])),
            None
        );
        assert_eq!(
            find_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")])).map(|c| c.join(" -> ")),
            Some("a -> b -> c -> a".to_owned())
        );
        assert_eq!(
            crate_references(
                "use crate::{attrs, home_attrs::{self, DomainBy}};\ncrate::clients::connect(x); $crate::no"
            ),
            ["attrs", "home_attrs", "clients"]
        );
    }
}
