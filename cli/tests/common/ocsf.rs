//! A validator of OCSF events against the schema's own definition files, vendored in the test
//! bed (`tests/ocsf/v1.3.0`, see its README): the class chain with its `$include`s, the
//! objects through `extends`, the dictionary's types and enums.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The vendored schema.
pub struct Ocsf {
    dir: PathBuf,
    dictionary: Map<String, Value>,
    types: Map<String, Value>,
}

/// An attribute as a class or object defines it: the dictionary's entry, with the
/// class's or object's requirement and enum added.
#[derive(Clone, Debug)]
struct Attr {
    requirement: String,
    kind: String,
    array: bool,
    enums: Vec<String>,
}

fn read(path: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

impl Ocsf {
    /// Loads `tests/ocsf/v1.3.0` of the workspace.
    pub fn load(root: &Path) -> Ocsf {
        let dir = root.join("tests/ocsf/v1.3.0");
        let dict = read(&dir.join("dictionary.json"));
        Ocsf {
            dictionary: dict["attributes"].as_object().unwrap().clone(),
            types: dict["types"]["attributes"].as_object().unwrap().clone(),
            dir,
        }
    }

    /// The version the files say.
    pub fn version(&self) -> String {
        read(&self.dir.join("version.json"))["version"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A definition file's attributes, its `$include`s' first, then `extends` resolved by
    /// `parent` (classes: events/…; objects: objects/…).
    fn attributes(&self, file: &Value, parent: &dyn Fn(&str) -> Value) -> BTreeMap<String, Attr> {
        let mut out = match file["extends"].as_str() {
            Some(base) => self.attributes(&parent(base), parent),
            None => BTreeMap::new(),
        };
        let attrs = file["attributes"].as_object().unwrap();
        // (attributes, from a profile): a profile's attributes hold only when the event applies
        // the profile (`metadata.profiles`), which these events do not.
        let mut layers: Vec<(Map<String, Value>, bool)> = Vec::new();
        if let Some(includes) = attrs.get("$include").and_then(Value::as_array) {
            for inc in includes {
                let inc = inc.as_str().unwrap();
                let included = read(&self.dir.join(inc));
                layers.push((
                    included["attributes"].as_object().unwrap().clone(),
                    inc.starts_with("profiles/"),
                ));
            }
        }
        layers.push((attrs.clone(), false));
        for (layer, profile) in layers {
            for (name, def) in layer {
                if name == "$include" {
                    continue;
                }
                let entry = out.entry(name.clone()).or_insert_with(|| self.attr(&name));
                if let Some(r) = def["requirement"].as_str() {
                    // A profile's attributes hold only when the profile is applied.
                    entry.requirement = if profile || def["profile"].is_string() {
                        "optional".into()
                    } else {
                        r.into()
                    };
                }
                if let Some(e) = def["enum"].as_object() {
                    entry.enums.extend(e.keys().cloned());
                }
            }
        }
        out
    }

    fn attr(&self, name: &str) -> Attr {
        let d = self
            .dictionary
            .get(name)
            .unwrap_or_else(|| panic!("`{name}` is not in the dictionary"));
        Attr {
            requirement: "optional".into(),
            kind: d["type"].as_str().unwrap_or("object_t").to_owned(),
            array: d["is_array"].as_bool().unwrap_or(false),
            enums: d["enum"]
                .as_object()
                .map(|e| e.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }

    fn object(&self, name: &str) -> Value {
        read(&self.dir.join(format!("objects/{name}.json")))
    }

    /// The base type of an OCSF type (`timestamp_t` → `long_t`), or `None` for an object.
    fn base_type(&self, kind: &str) -> Option<String> {
        let mut kind = kind.to_owned();
        loop {
            let t = self.types.get(&kind)?;
            match t["type"].as_str() {
                Some(next) => kind = next.to_owned(),
                None => return Some(kind),
            }
        }
    }

    /// Every problem of `event` as a Detection Finding (class 2004); empty when valid.
    pub fn check_detection_finding(&self, event: &Value) -> Vec<String> {
        let class = read(&self.dir.join("events/findings/detection_finding.json"));
        let parent = |name: &str| match name {
            "finding" => read(&self.dir.join("events/findings/finding.json")),
            "base_event" => read(&self.dir.join("events/base_event.json")),
            other => panic!("unknown class {other}"),
        };
        let attrs = self.attributes(&class, &parent);
        let mut problems = Vec::new();
        let category = read(&self.dir.join("categories.json"))["attributes"]["findings"]["uid"]
            .as_u64()
            .unwrap();
        let class_uid = category * 1000 + class["uid"].as_u64().unwrap();
        if event["class_uid"] != class_uid || event["category_uid"] != category {
            problems.push(format!(
                "class_uid {} / category_uid {}: want {class_uid} / {category}",
                event["class_uid"], event["category_uid"]
            ));
        }
        if let (Some(activity), Some(type_uid)) =
            (event["activity_id"].as_u64(), event["type_uid"].as_u64())
            && type_uid != class_uid * 100 + activity
        {
            problems.push(format!(
                "type_uid {type_uid} is not class_uid * 100 + activity_id"
            ));
        }
        // The classification ids are the class's own (checked above), not the include's enum.
        let mut attrs = attrs;
        for id in ["class_uid", "category_uid", "type_uid"] {
            if let Some(a) = attrs.get_mut(id) {
                a.enums.clear();
            }
        }
        self.check_object(event, &attrs, "", &mut problems);
        problems
    }

    fn check_object(
        &self,
        value: &Value,
        attrs: &BTreeMap<String, Attr>,
        at: &str,
        problems: &mut Vec<String>,
    ) {
        let Some(map) = value.as_object() else {
            problems.push(format!("{at}: not an object"));
            return;
        };
        for (name, a) in attrs {
            if a.requirement == "required" && !map.contains_key(name) {
                problems.push(format!("{at}.{name}: required, missing"));
            }
        }
        for (name, v) in map {
            let here = format!("{at}.{name}");
            let Some(a) = attrs.get(name) else {
                problems.push(format!("{here}: not an attribute of this class or object"));
                continue;
            };
            if a.array {
                match v.as_array() {
                    Some(items) => items
                        .iter()
                        .for_each(|i| self.check_value(i, a, &here, problems)),
                    None => problems.push(format!("{here}: not an array")),
                }
            } else {
                self.check_value(v, a, &here, problems);
            }
        }
    }

    fn check_value(&self, v: &Value, a: &Attr, at: &str, problems: &mut Vec<String>) {
        match self.base_type(&a.kind).as_deref() {
            Some("string_t") => {
                if !v.is_string() {
                    problems.push(format!("{at}: not a string"));
                }
            }
            Some("integer_t") | Some("long_t") => {
                if !(v.is_i64() || v.is_u64()) {
                    problems.push(format!("{at}: not an integer"));
                }
            }
            Some("float_t") => {
                if !v.is_number() {
                    problems.push(format!("{at}: not a number"));
                }
            }
            Some("boolean_t") => {
                if !v.is_boolean() {
                    problems.push(format!("{at}: not a boolean"));
                }
            }
            Some("json_t") => {}
            Some(other) => problems.push(format!("{at}: unknown type {other}")),
            None if a.kind == "object" || a.kind == "object_t" => {
                if !v.is_object() {
                    problems.push(format!("{at}: not an object"));
                }
            }
            None => {
                let object = self.object(&a.kind);
                let attrs = self.attributes(&object, &|base| self.object(base));
                self.check_object(v, &attrs, at, problems);
                // The objects' `at_least_one` constraints, through `extends`.
                let mut file = Some(object);
                while let Some(f) = file {
                    if let Some(names) = f["constraints"]["at_least_one"].as_array() {
                        let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
                        if v.as_object()
                            .is_some_and(|m| !names.iter().any(|n| m.contains_key(*n)))
                        {
                            problems.push(format!("{at}: needs at least one of {names:?}"));
                        }
                    }
                    file = f["extends"].as_str().map(|b| self.object(b));
                }
            }
        }
        if !a.enums.is_empty()
            && !a
                .enums
                .iter()
                .any(|e| Some(e.as_str()) == v.as_u64().map(|n| n.to_string()).as_deref())
        {
            problems.push(format!("{at}: {v} is not one of {:?}", a.enums));
        }
    }
}
