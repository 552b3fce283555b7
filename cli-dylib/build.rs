//! Links the shared object with `-Bsymbolic-functions`: its calls to its own
//! functions bind inside it at link time, so the dynamic loader does not look
//! up a quarter of a million symbols each time a debug `tp` starts (0.3 s
//! without; 0.02 s with). Data references keep the default binding, so a
//! static is never duplicated between `tp` and the library.

fn main() {
    println!("cargo::rustc-link-arg=-Wl,-Bsymbolic-functions");
}
