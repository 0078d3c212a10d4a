//! `select!`: parsing and expansion. Syntax only; the semantics live in
//! `csp_core::select` (Go's `selectgo`), reached through `::csp::__private`.
//!
//! Grammar (arms separated by optional commas; an arm whose body is not a
//! block needs a comma unless it is the last):
//! ```text
//! select! {
//!     recv(<rx expr>) [-> <pat>] => <body>
//!     send(<tx expr>, <value expr>) [-> <pat>] => <body>
//!     default => <body>
//! }
//! ```
//!
//! # Expansion
//! Every case's channel and value expressions are evaluated once, up front, in
//! source order (as Go does), into hygienic locals `__csp_case_N`; then one call
//! to `try_select` (with `default`) or `select(..).await` (without) picks the
//! index; then a `match` runs the chosen arm *inline* (no closure), so `break`,
//! `continue`, `return`, `?` and `.await` in a body act on the enclosing code.
//! Before the body runs, the chosen case's outcome is bound to the pattern and
//! the other cases are dropped (an unsent send value is dropped there), which
//! releases their borrows: a body may reassign the channels (`rx = None`, Go's
//! "set the channel to nil" idiom).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{parenthesized, Expr, Ident, Pat, Token};

/// What a case does.
enum Kind {
    Recv(Expr),
    Send(Expr, Expr),
}

/// One `recv`/`send` arm.
struct Case {
    kind: Kind,
    pat: Option<Pat>,
    body: Expr,
}

/// The whole `select! { ... }` input.
pub(crate) struct SelectInput {
    cases: Vec<Case>,
    default: Option<Expr>,
}

/// Parses `=> body` plus the separating comma.
fn parse_body(input: ParseStream<'_>, after: Span) -> syn::Result<Expr> {
    if !input.peek(Token![=>]) {
        let span = if input.is_empty() {
            after
        } else {
            input.span()
        };
        return Err(syn::Error::new(
            span,
            "expected `=>` followed by the body of this case",
        ));
    }
    input.parse::<Token![=>]>()?;
    let body = if input.peek(syn::token::Brace) {
        let block: syn::Block = input.parse()?;
        let body = Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block,
        });
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        body
    } else {
        let body: Expr = input.parse()?;
        if !input.is_empty() {
            if !input.peek(Token![,]) {
                return Err(syn::Error::new(
                    input.span(),
                    "expected `,` after a case body that is not a block",
                ));
            }
            input.parse::<Token![,]>()?;
        }
        body
    };
    Ok(body)
}

/// Parses `-> pat`, if present.
fn parse_pat(input: ParseStream<'_>) -> syn::Result<Option<Pat>> {
    if input.peek(Token![->]) {
        input.parse::<Token![->]>()?;
        // `-> v { body }` (a forgotten `=>`) would parse as a struct pattern:
        // take the full pattern only if `=>` follows it, else just a binding,
        // so the error points at the missing `=>`.
        let fork = input.fork();
        match Pat::parse_single(&fork) {
            Ok(pat) if fork.peek(Token![=>]) => {
                input.advance_to(&fork);
                Ok(Some(pat))
            }
            Err(e) if !(input.peek(Ident) || input.peek(Token![_])) => Err(e),
            _ if input.peek(Token![_]) => {
                let underscore: Token![_] = input.parse()?;
                Ok(Some(Pat::Wild(syn::PatWild {
                    attrs: Vec::new(),
                    underscore_token: underscore,
                })))
            }
            _ if input.peek(Ident) => {
                let ident: Ident = input.parse()?;
                Ok(Some(Pat::Ident(syn::PatIdent {
                    attrs: Vec::new(),
                    by_ref: None,
                    mutability: None,
                    ident,
                    subpat: None,
                })))
            }
            _ => Ok(Some(Pat::parse_single(input)?)),
        }
    } else {
        Ok(None)
    }
}

impl Parse for SelectInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut cases = Vec::new();
        let mut default: Option<Expr> = None;
        while !input.is_empty() {
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
                continue;
            }
            let kind_ident: Ident = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), "expected `recv`, `send` or `default`"))?;
            match kind_ident.to_string().as_str() {
                "default" => {
                    if default.is_some() {
                        return Err(syn::Error::new(
                            kind_ident.span(),
                            "a select has at most one `default` case",
                        ));
                    }
                    default = Some(parse_body(input, kind_ident.span())?);
                }
                "recv" => {
                    let args;
                    let parens = parenthesized!(args in input);
                    if args.is_empty() {
                        return Err(syn::Error::new(
                            parens.span.join(),
                            "`recv` needs a channel: `recv(rx)`",
                        ));
                    }
                    let rx: Expr = args.parse()?;
                    if args.peek(Token![,]) {
                        args.parse::<Token![,]>()?;
                    }
                    if !args.is_empty() {
                        return Err(syn::Error::new(
                            args.span(),
                            "`recv` takes one channel: `recv(rx)`",
                        ));
                    }
                    let pat = parse_pat(input)?;
                    let body = parse_body(input, parens.span.join())?;
                    cases.push(Case {
                        kind: Kind::Recv(rx),
                        pat,
                        body,
                    });
                }
                "send" => {
                    let args;
                    let parens = parenthesized!(args in input);
                    let missing = "`send` needs a channel and a value: `send(tx, value)`";
                    if args.is_empty() {
                        return Err(syn::Error::new(parens.span.join(), missing));
                    }
                    let tx: Expr = args.parse()?;
                    if !args.peek(Token![,]) {
                        return Err(syn::Error::new(parens.span.join(), missing));
                    }
                    args.parse::<Token![,]>()?;
                    if args.is_empty() {
                        return Err(syn::Error::new(parens.span.join(), missing));
                    }
                    let value: Expr = args.parse()?;
                    if args.peek(Token![,]) {
                        args.parse::<Token![,]>()?;
                    }
                    if !args.is_empty() {
                        return Err(syn::Error::new(
                            args.span(),
                            "`send` takes a channel and a value: `send(tx, value)`",
                        ));
                    }
                    let pat = parse_pat(input)?;
                    let body = parse_body(input, parens.span.join())?;
                    cases.push(Case {
                        kind: Kind::Send(tx, value),
                        pat,
                        body,
                    });
                }
                _ => {
                    return Err(syn::Error::new(
                        kind_ident.span(),
                        "expected `recv`, `send` or `default`",
                    ))
                }
            }
        }
        Ok(SelectInput { cases, default })
    }
}

/// Parses the braces-free body of `select! { ... }`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<SelectInput>(input) {
        Ok(select) => select.expand(),
        Err(e) => e.to_compile_error(),
    }
}

impl SelectInput {
    fn expand(self) -> TokenStream {
        let private = quote!(::csp::__private);
        let names: Vec<Ident> = (0..self.cases.len())
            .map(|i| format_ident!("__csp_case_{}", i, span = Span::mixed_site()))
            .collect();
        // One `Option` per case holds the chosen case's outcome, so the cases
        // (and their borrows of the channels) end before any arm body runs:
        // a body may then reassign a channel variable (the nil-channel idiom).
        let outs: Vec<Ident> = (0..self.cases.len())
            .map(|i| format_ident!("__csp_out_{}", i, span = Span::mixed_site()))
            .collect();
        let index = Ident::new("__csp_index", Span::mixed_site());
        let result = Ident::new("__csp_result", Span::mixed_site());

        // Cases are pinned: a waiting select links each into its channel's
        // queue in place.
        let builds = self
            .cases
            .iter()
            .zip(&names)
            .map(|(case, name)| match &case.kind {
                Kind::Recv(rx) => quote_spanned! {rx.span()=>
                    let mut #name = ::core::pin::pin!(#private::RecvCase::new(#rx));
                },
                Kind::Send(tx, value) => quote_spanned! {tx.span()=>
                    let mut #name = ::core::pin::pin!(#private::SendCase::new(#tx, #value));
                },
            });

        let takes = names.iter().zip(&outs).enumerate().map(|(i, (name, out))| {
            quote! { #i => #out = ::core::option::Option::Some(#name.as_mut().take_output()), }
        });

        let bodies = self.cases.iter().zip(&outs).map(|(case, out)| {
            let pat = match &case.pat {
                Some(pat) => quote!(#pat),
                None => quote!(_),
            };
            let body = &case.body;
            quote! {
                if let ::core::option::Option::Some(#pat) = #out { #body } else
            }
        });

        let refs = quote! {
            &mut [ #( #names.as_mut() as ::core::pin::Pin<&mut dyn #private::SelectCase> ),* ]
        };

        // Declares the outcome slots, runs `$choose` (which fills one), then
        // the chosen arm's body, or `$none` if no case was chosen (default).
        let run = |choose: TokenStream, none: TokenStream| {
            quote! {{
                #( let mut #outs = ::core::option::Option::None; )*
                {
                    #( #builds )*
                    let #index = #choose;
                    match #index {
                        #( #takes )*
                        _ => {}
                    }
                }
                // The chain is generated: a shape clippy would rewrite in hand
                // code (`?`) is no advice to the user.
                #[allow(clippy::question_mark)]
                let #result = #( #bodies )* { #none };
                #result
            }}
        };

        match (self.cases.is_empty(), self.default) {
            (true, None) => quote! {{
                #private::select(&mut []).await;
                ::core::unreachable!("a select with no cases never completes")
            }},
            (true, Some(default)) => quote! {{
                #default
            }},
            (false, Some(default)) => run(quote!(#private::try_select(#refs)), quote!(#default)),
            (false, None) => run(
                quote!(#private::select(#refs).await),
                quote!(::core::unreachable!("select chose no case")),
            ),
        }
    }
}
