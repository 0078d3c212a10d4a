//! csp-macros: `select!` (through the facade's front, `select_in`),
//! `#[csp::main]` and `#[csp::test]`, thin syntax over csp-core.
//!
//! Each attribute turns an `async fn` into a synchronous one whose body runs
//! as the main goroutine of a new csp runtime. The attributes' expansions
//! name only `::csp::__private::*` paths, `select_in`'s the path the facade
//! passes it, so users depend on the `csp` facade alone.
//!
//! # Invariants
//! - Misuse (a non-async fn, parameters, generics, an unknown or malformed
//!   argument) is a compile error spanned at the offending tokens.
//! - The body becomes `with_output::<Ret, _>(async move { body })`, so `?` and
//!   `return` in the body see the function's declared return type.
//! - On an error in `#[csp::main]`, a placeholder `fn main() {}` is emitted
//!   too, so the only error reported is the macro's own.

mod select;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Error, Expr, ExprLit, ItemFn, Lit, MetaNameValue, ReturnType, Token};

/// Runs `async fn main` as the main goroutine of a csp runtime (Go's `func main`).
///
/// Expands to a synchronous `fn main` that calls `csp::run`'s machinery; when
/// the body returns, the program ends without waiting for other goroutines,
/// as in Go. `main` may return `()` or any `Termination` type such as
/// `Result<(), E>`.
///
/// Arguments: `gomaxprocs = N` fixes GOMAXPROCS (otherwise the `GOMAXPROCS`
/// environment variable or the core count; an invalid variable prints the
/// error and exits with status 2).
///
/// (Runnable examples live in the `csp` crate docs; this crate cannot depend on it.)
///
/// ```text
/// #[csp::main(gomaxprocs = 1)]
/// async fn main() {
///     csp::go(async { println!("world") });
///     println!("hello");
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Main)
        .unwrap_or_else(|e| {
            let error = e.to_compile_error();
            quote! { #error fn main() {} }
        })
        .into()
}

/// Runs an `async fn` test as the main goroutine of its own csp runtime,
/// with a timeout (the test fails with "test timed out after N s").
///
/// Mirrors a Go `func TestX(t *testing.T)`: a goroutine panic, or a deadlock
/// (`fatal error: all goroutines are asleep - deadlock!` and the goroutine
/// dump), fails the test with Go's report instead of ending the test binary. Arguments:
/// `timeout_secs = N` (default 60), `gomaxprocs = N` (default: the
/// `GOMAXPROCS` environment variable or the core count). Other attributes
/// such as `#[should_panic]` are kept.
///
/// ```text
/// #[csp::test(timeout_secs = 5)]
/// async fn answers() {
///     assert_eq!(csp::go(async { 42 }).await.unwrap(), 42);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Test)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Main => "csp::main",
            Kind::Test => "csp::test",
        }
    }
}

/// Default `#[csp::test]` timeout in seconds.
const DEFAULT_TIMEOUT_SECS: u64 = 60;

struct Args {
    gomaxprocs: Option<usize>,
    timeout_secs: Option<u64>,
}

fn parse_args(args: TokenStream2, kind: Kind) -> syn::Result<Args> {
    let mut out = Args {
        gomaxprocs: None,
        timeout_secs: None,
    };
    let metas = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)?;
    for meta in metas {
        let name = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match (name.as_str(), kind) {
            ("gomaxprocs", _) => {
                let n: usize = int_arg(&meta.value, "gomaxprocs")?;
                if n == 0 {
                    return Err(Error::new(
                        meta.value.span(),
                        "gomaxprocs must be at least 1",
                    ));
                }
                out.gomaxprocs = Some(n);
            }
            ("timeout_secs", Kind::Test) => {
                let n: u64 = int_arg(&meta.value, "timeout_secs")?;
                if n == 0 {
                    return Err(Error::new(
                        meta.value.span(),
                        "timeout_secs must be at least 1",
                    ));
                }
                out.timeout_secs = Some(n);
            }
            _ => {
                let expected = match kind {
                    Kind::Main => "`gomaxprocs`",
                    Kind::Test => "`timeout_secs` or `gomaxprocs`",
                };
                return Err(Error::new(
                    meta.path.span(),
                    format!(
                        "unknown argument to #[{}]; expected {expected}",
                        kind.name()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn int_arg<N>(value: &Expr, name: &str) -> syn::Result<N>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse(),
        other => Err(Error::new(
            other.span(),
            format!("`{name}` expects an integer literal, e.g. `{name} = 2`"),
        )),
    }
}

fn expand(args: TokenStream2, item: TokenStream2, kind: Kind) -> syn::Result<TokenStream2> {
    let args = parse_args(args, kind)?;
    let func: ItemFn = syn::parse2(item)?;
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        return Err(Error::new(
            sig.fn_token.span(),
            format!(
                "#[{}] needs an `async fn`; add the `async` keyword",
                kind.name()
            ),
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(Error::new(
            sig.inputs.span(),
            format!("#[{}] functions take no parameters", kind.name()),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(Error::new(
            sig.generics.span(),
            format!("#[{}] functions cannot be generic", kind.name()),
        ));
    }
    if kind == Kind::Main && sig.ident != "main" {
        return Err(Error::new(
            sig.ident.span(),
            "#[csp::main] goes on `async fn main()`",
        ));
    }
    if kind == Kind::Test {
        if let Some(attr) = func.attrs.iter().find(|a| a.path().is_ident("test")) {
            return Err(Error::new(
                attr.span(),
                "#[csp::test] already adds #[test]; remove this one",
            ));
        }
    }

    let attrs = &func.attrs;
    let vis = &func.vis;
    let ident = &sig.ident;
    let body = &func.block;
    let (ret_decl, ret_ty) = match &sig.output {
        ReturnType::Default => (quote! {}, quote! { () }),
        ReturnType::Type(arrow, ty) => (quote! { #arrow #ty }, quote! { #ty }),
    };
    let span = Span::call_site();
    let fut = quote_spanned! {span=>
        ::csp::__private::with_output::<#ret_ty, _>(async move #body)
    };
    let gomaxprocs = match args.gomaxprocs {
        Some(n) => quote! { ::core::option::Option::Some(#n) },
        None => quote! { ::core::option::Option::None },
    };
    Ok(match kind {
        Kind::Main => quote! {
            #(#attrs)*
            #vis fn #ident() #ret_decl {
                ::csp::__private::run_main(#gomaxprocs, #fut)
            }
        },
        Kind::Test => {
            let timeout = args.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
            quote! {
                #[::core::prelude::v1::test]
                #(#attrs)*
                #vis fn #ident() #ret_decl {
                    ::csp::__private::run_test(
                        ::csp::__private::TestConfig {
                            timeout_secs: #timeout,
                            gomaxprocs: #gomaxprocs,
                        },
                        || #fut,
                    )
                }
            }
        }
    })
}

/// The engine of `csp::select!` (documented there): the facade's
/// `macro_rules!` front calls `select_in! { $crate; <arms> }`, so the
/// expansion names csp by the path it was reached through.
#[doc(hidden)]
#[proc_macro]
pub fn select_in(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    select::expand(input.into()).into()
}
