//! See `tests/security.rs`.

#[allow(unused_imports)]
use crate::support;
