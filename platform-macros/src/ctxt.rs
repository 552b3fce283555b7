//! The error collector: every check reports here, so that one build shows
//! every mistake (serde_derive's `internals/ctxt.rs`).

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use proc_macro2::Span;
use quote::ToTokens;

use crate::rules::Rule;

/// Gathers errors from every check. It must be consumed with [`Ctxt::check`];
/// dropping it unchecked is a bug in the macro and panics.
pub struct Ctxt {
    // `None` once checked.
    errors: RefCell<Option<Vec<syn::Error>>>,
    /// Files the checks read, absolute: the expansion includes each, so
    /// that cargo rebuilds when one changes.
    tracked: RefCell<Vec<std::path::PathBuf>>,
}

impl Ctxt {
    pub fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
            tracked: RefCell::new(Vec::new()),
        }
    }

    /// Records a violation of `rule` on `tokens`.
    pub fn error(&self, rule: Rule, tokens: impl ToTokens, message: impl Display) {
        self.push(rule.error(tokens, message));
    }

    /// Records a violation of `rule` at `span`.
    pub fn error_at(&self, rule: Rule, span: Span, message: impl Display) {
        self.push(rule.error_at(span, message));
    }

    /// Records an error built elsewhere.
    pub fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt used after check")
            .push(error);
    }

    /// Records that a check read `path`.
    pub fn track(&self, path: std::path::PathBuf) {
        let mut tracked = self.tracked.borrow_mut();
        if !tracked.contains(&path) {
            tracked.push(path);
        }
    }

    /// Every file a check read, in the order first read.
    pub fn tracked(&self) -> Vec<std::path::PathBuf> {
        self.tracked.borrow().clone()
    }

    /// All recorded errors, combined into one, or `Ok` when there are none.
    pub fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().expect("Ctxt checked twice");
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for rest in errors {
            combined.combine(rest);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !thread::panicking() && self.errors.borrow().is_some() {
            panic!("forgot to check for errors");
        }
    }
}
