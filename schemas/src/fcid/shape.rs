//! A first pass over a document that checks its skeleton: objects where the standard has
//! objects. serde's derived structs would also accept a JSON array of positional values, which
//! is not FCID; this pass refuses that with a JSON path, before the typed parse
//! (docs/FCID.md, §6).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What a JSON value must look like.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    /// Anything.
    Any,
    /// An object; the listed fields, when present, have the given shapes.
    Object(&'static [(&'static str, Shape)]),
    /// An array whose every element has the given shape.
    ArrayOf(&'static Shape),
}

impl<'de> DeserializeSeed<'de> for Shape {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self {
            Shape::Any => IgnoredAny::deserialize(deserializer).map(|_| ()),
            Shape::Object(fields) => deserializer.deserialize_map(ObjectVisitor(fields)),
            Shape::ArrayOf(item) => deserializer.deserialize_seq(ArrayVisitor(item)),
        }
    }
}

use serde::Deserialize as _;

struct ObjectVisitor(&'static [(&'static str, Shape)]);

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with named fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let shape = self
                .0
                .iter()
                .find(|(name, _)| *name == key)
                .map_or(Shape::Any, |(_, shape)| *shape);
            map.next_value_seed(shape)?;
        }
        Ok(())
    }
}

struct ArrayVisitor(&'static Shape);

impl<'de> Visitor<'de> for ArrayVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(*self.0)?.is_some() {}
        Ok(())
    }
}
