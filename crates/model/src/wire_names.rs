//! Test support: pins each enum's `as_str` to the name serde writes, so the two cannot drift.

use serde::Serialize;

/// Asserts that `as_str` of every variant in `all` is exactly its serde name.
pub(crate) fn assert_as_str_is_serde_name<T: Serialize + Copy + std::fmt::Debug>(
    all: &[T],
    as_str: fn(T) -> &'static str,
) {
    for &variant in all {
        assert_eq!(
            serde_json::to_value(variant).expect("serialisable"),
            serde_json::Value::from(as_str(variant)),
            "{variant:?}"
        );
    }
}
