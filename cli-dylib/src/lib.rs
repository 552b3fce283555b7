//! The `cli` library (package `cli-lib`) as a shared object, for debug
//! builds of `tp`.
//!
//! Linking `tp` statically takes the linker seconds: its input is the whole
//! library with the AWS SDK, hundreds of megabytes of objects. An edit of the
//! definition (`platform-def`) changes none of that, so a debug `tp` links it
//! from this shared object instead, and relinking after an edit reads only
//! the definition and this object's symbol table.
//!
//! Release builds (no `debug_assertions`) compile this crate empty: `tp` then
//! links the library statically and is one self-contained executable, as
//! shipped.

#[cfg(debug_assertions)]
pub use cli::*;
