//! serde support: [`crate::Resolved::deserialize`] reads the configuration
//! into any `Deserialize` type, parsing strings into the field types.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::value::{Resolved, ValueError, Var, parse_bool};

/// Deserialization error; converted into [`ValueError::Deserialize`].
#[derive(Debug)]
pub(crate) struct DeError(String);

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl Resolved {
    /// Deserializes the whole configuration into `T`. Struct fields match
    /// keys case-insensitively (`database_url` reads `DATABASE_URL`);
    /// strings are parsed into the field's type.
    ///
    /// ```
    /// # use envward::{Config, LoadOptions};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join(".env"), "DEBUG=off\nPORT=8080\nHOSTS=a,b\n").unwrap();
    /// # let cfg = Config::load(LoadOptions { project_dir: Some(dir.path().into()), process_env: Some(Default::default()), ..Default::default() }).unwrap();
    /// #[derive(serde::Deserialize)]
    /// struct App { debug: bool, port: u16, hosts: Vec<String>, name: Option<String> }
    /// let app: App = cfg.deserialize().unwrap();
    /// assert!(!app.debug);
    /// assert_eq!(app.port, 8080);
    /// assert_eq!(app.hosts, ["a", "b"]);
    /// assert_eq!(app.name, None);
    /// ```
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, ValueError> {
        Ok(T::deserialize(ConfigDeserializer::new(self))?)
    }
}

impl From<DeError> for ValueError {
    fn from(e: DeError) -> Self {
        ValueError::Deserialize(e.0)
    }
}

/// Deserializes a whole [`Resolved`] as a map or struct.
pub(crate) struct ConfigDeserializer<'a> {
    cfg: &'a Resolved,
}

impl<'a> ConfigDeserializer<'a> {
    pub(crate) fn new(cfg: &'a Resolved) -> Self {
        ConfigDeserializer { cfg }
    }
}

struct Fields<'a> {
    items: std::vec::IntoIter<(&'a str, &'a Var)>,
    current: Option<&'a Var>,
}

impl<'de, 'a> MapAccess<'de> for Fields<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.items.next() {
            Some((name, var)) => {
                self.current = Some(var);
                seed.deserialize(name.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let var = self
            .current
            .take()
            .ok_or_else(|| DeError("value without a key".into()))?;
        seed.deserialize(ValueDeserializer {
            text: var.value.expose(),
            var,
        })
        .map_err(|e| {
            let shown = if var.sensitive {
                String::new()
            } else {
                format!(": {e}")
            };
            DeError(format!(
                "`{}` (from {}) has an invalid value{shown}",
                var.key, var.origin
            ))
        })
    }
}

impl<'de> de::Deserializer<'de> for ConfigDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let items: Vec<_> = self.cfg.iter().map(|v| (v.key.as_str(), v)).collect();
        visitor.visit_map(Fields {
            items: items.into_iter(),
            current: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mut items = Vec::new();
        for field in fields {
            let var = self
                .cfg
                .get(field)
                .or_else(|| self.cfg.iter().find(|v| v.key.eq_ignore_ascii_case(field)));
            if let Some(var) = var {
                items.push((*field, var));
            }
        }
        visitor.visit_map(Fields {
            items: items.into_iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Deserializes one value from its text.
struct ValueDeserializer<'a> {
    text: &'a str,
    var: &'a Var,
}

impl ValueDeserializer<'_> {
    fn expected(&self, what: &str) -> DeError {
        DeError(format!("expected {what}"))
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident : $t:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.text.trim().parse::<$t>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(self.expected(concat!("a number of type ", stringify!($t)))),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_str(self.text)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match parse_bool(self.text) {
            Some(b) => visitor.visit_bool(b),
            None => Err(self.expected("a boolean: true/false, 1/0, yes/no or on/off")),
        }
    }

    parse_number! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let parts: Vec<&str> = if self.text.trim().is_empty() {
            Vec::new()
        } else {
            self.text.split(',').map(str::trim).collect()
        };
        visitor.visit_seq(Items {
            parts: parts.into_iter(),
            var: self.var,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(self.text.trim().into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct Items<'a> {
    parts: std::vec::IntoIter<&'a str>,
    var: &'a Var,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.parts.next() {
            Some(text) => seed
                .deserialize(ValueDeserializer {
                    text,
                    var: self.var,
                })
                .map(Some),
            None => Ok(None),
        }
    }
}
