//! Enums written as one of a few names (`"checking"`): [`read`] reads them, once for every such
//! enum, and [`deserialize_by_name!`] implements `Deserialize` through it. serde's derive
//! compiles a reader of its own for each enum, ~1 KB of the app's wasm apiece (issue 9). The
//! test support pins each enum's `as_str` to the name serde writes and reads back.

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, VariantAccess, Visitor};
use std::fmt;

/// Reads a unit variant named by one of `names` as its index there, as serde's derive reads
/// one: a JSON string (or `{"name": null}`); an unknown name is refused with the derive's
/// words ("unknown variant `x`, expected one of …").
pub(crate) fn read<'de, D: Deserializer<'de>>(
    deserializer: D,
    enum_name: &'static str,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    deserializer.deserialize_enum(enum_name, names, ByName(names))
}

/// Implements `Deserialize` for a unit enum with a `const fn as_str` by its variants' names
/// ([`read`]): `deserialize_by_name!(AccountType: Checking, Savings);`.
macro_rules! deserialize_by_name {
    ($ty:ident: $($variant:ident),+ $(,)?) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Every variant is listed: a new one not listed here fails to compile.
                const _: fn($ty) = |v| match v { $($ty::$variant)|+ => () };
                const ALL: &[$ty] = &[$($ty::$variant),+];
                const NAMES: &[&str] = &[$($ty::$variant.as_str()),+];
                let index = $crate::wire_names::read(deserializer, stringify!($ty), NAMES)?;
                Ok(ALL[index])
            }
        }
    };
}
pub(crate) use deserialize_by_name;

/// The variant's index in its names.
struct ByName(&'static [&'static str]);

impl<'de> Visitor<'de> for ByName {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a variant name")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<usize, A::Error> {
        let (index, variant) = data.variant_seed(self)?;
        variant.unit_variant()?;
        Ok(index)
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| E::unknown_variant(name, self.0))
    }
}

impl<'de> DeserializeSeed<'de> for ByName {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

/// Asserts that `as_str` of every variant in `all` is exactly its serde name, and that the
/// name reads back as the variant.
#[cfg(test)]
pub(crate) fn assert_as_str_is_serde_name<T>(all: &[T], as_str: fn(T) -> &'static str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + Copy + PartialEq + fmt::Debug,
{
    for &variant in all {
        let wire = serde_json::to_value(variant).expect("serialisable");
        assert_eq!(
            wire,
            serde_json::Value::from(as_str(variant)),
            "{variant:?}"
        );
        let back: T = serde_json::from_value(wire).expect("reads back");
        assert_eq!(back, variant);
    }
}
