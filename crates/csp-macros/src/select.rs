//! `select!`: parsing and expansion. Syntax only; the semantics live in
//! `csp_core::select` (Go's `selectgo`), reached through `<csp>::__private`,
//! where `<csp>` is the path the facade's `select!` passes first (its
//! `$crate`, so a renamed or re-exported `csp` works).
//!
//! Grammar (arms separated by optional commas; an arm whose body is not a
//! block needs a comma unless it is the last):
//! ```text
//! select_in! { <csp path>;
//!     recv(<rx expr>) [-> <pat>] => <body>
//!     send(<tx expr>, <value expr>) [-> <pat>] => <body>
//!     send_from(<tx expr>, <&mut Option<T> expr>) [-> <pat>] => <body>
//!     default => <body>
//! }
//! ```
//! A `<pat>` must be irrefutable: the outcome is taken off the channel
//! before the pattern is matched, so a value that did not match would be
//! lost. Obviously refutable patterns (literals, ranges, `Some`/`None`/
//! `Ok`/`Err`, alternatives) get a spanned error saying to match inside the
//! arm; any other refutable pattern is rejected by the compiler, because the
//! outcome is bound with `let <pat> = outcome;`.
//!
//! # Expansion
//! Every case's channel and value expressions are evaluated once, up front, in
//! source order (as Go does), into hygienic locals `__csp_case_N`; then one call
//! to `try_select` (with `default`) or `select(..).await` (without) picks the
//! index; then a `match` runs the chosen arm *inline* (no closure), so `break`,
//! `continue`, `return`, `?` and `.await` in a body act on the enclosing code.
//! Before the body runs, the chosen case's outcome is bound to the pattern and
//! the other cases are dropped (an unsent send value is dropped there, except
//! a `send_from` case's, which goes back to its slot), which releases their
//! borrows: a body may reassign the channels (`rx = None`, Go's
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
    /// A send of the value in a `&mut Option<T>` slot; unsent, it goes back.
    SendFrom(Expr, Expr),
}

/// One `recv`/`send` arm.
struct Case {
    kind: Kind,
    pat: Option<Pat>,
    body: Expr,
}

/// The whole `select! { ... }` input.
pub(crate) struct SelectInput {
    /// The path of the `csp` facade (`$crate` from its `select!`).
    krate: TokenStream,
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

/// Parses a send case's parenthesized `(channel, operand)`: `missing` is
/// the error when either is absent, `extra` when more follows them.
/// Returns both expressions and the parentheses' span.
fn parse_channel_and(
    input: ParseStream<'_>,
    missing: &str,
    extra: &str,
) -> syn::Result<(Expr, Expr, Span)> {
    let args;
    let parens = parenthesized!(args in input);
    let span = parens.span.join();
    if args.is_empty() {
        return Err(syn::Error::new(span, missing));
    }
    let tx: Expr = args.parse()?;
    if !args.peek(Token![,]) {
        return Err(syn::Error::new(span, missing));
    }
    args.parse::<Token![,]>()?;
    if args.is_empty() {
        return Err(syn::Error::new(span, missing));
    }
    let operand: Expr = args.parse()?;
    if args.peek(Token![,]) {
        args.parse::<Token![,]>()?;
    }
    if !args.is_empty() {
        return Err(syn::Error::new(args.span(), extra));
    }
    Ok((tx, operand, span))
}

/// Parses `-> pat`, if present, and rejects an obviously refutable one.
fn parse_pat(input: ParseStream<'_>) -> syn::Result<Option<Pat>> {
    let pat = parse_pat_syntax(input)?;
    if let Some(pat) = &pat {
        check_irrefutable(pat)?;
    }
    Ok(pat)
}

/// The variants of `Option` and `Result`, the outcomes a case binds.
const REFUTABLE_PATHS: [&str; 4] = ["Some", "None", "Ok", "Err"];

/// An error at the first part of `pat` that can fail to match: a literal, a
/// range, an alternative, or a variant of `Option`/`Result`. Patterns this
/// does not recognise are still checked by the compiler (`let pat = ..`).
fn check_irrefutable(pat: &Pat) -> syn::Result<()> {
    let refutable = |pat: &Pat| {
        Err(syn::Error::new_spanned(
            pat,
            "a `select!` case needs an irrefutable pattern: the outcome is taken \
             off the channel before it is matched, so a value that did not match \
             would be lost; bind a name and match inside the arm, as in \
             `recv(rx) -> v => match v { Some(1) => .., _ => .. }`",
        ))
    };
    let is_variant = |path: &syn::Path| {
        path.segments
            .last()
            .is_some_and(|seg| REFUTABLE_PATHS.contains(&seg.ident.to_string().as_str()))
    };
    match pat {
        Pat::Lit(_) | Pat::Range(_) | Pat::Or(_) => refutable(pat),
        Pat::Ident(p) if p.subpat.is_none() && is_variant(&p.ident.clone().into()) => {
            refutable(pat)
        }
        Pat::Ident(p) => match &p.subpat {
            Some((_, sub)) => check_irrefutable(sub),
            None => Ok(()),
        },
        Pat::Path(p) if is_variant(&p.path) => refutable(pat),
        Pat::TupleStruct(p) if is_variant(&p.path) => refutable(pat),
        Pat::TupleStruct(p) => p.elems.iter().try_for_each(check_irrefutable),
        Pat::Struct(p) => p.fields.iter().try_for_each(|f| check_irrefutable(&f.pat)),
        Pat::Tuple(p) => p.elems.iter().try_for_each(check_irrefutable),
        Pat::Paren(p) => check_irrefutable(&p.pat),
        Pat::Reference(p) => check_irrefutable(&p.pat),
        Pat::Type(p) => check_irrefutable(&p.pat),
        _ => Ok(()),
    }
}

/// Parses the tokens of `-> pat`, if present.
fn parse_pat_syntax(input: ParseStream<'_>) -> syn::Result<Option<Pat>> {
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
        // The facade's path, up to the first `;` (kept as raw tokens:
        // `$crate` is an identifier only the compiler resolves).
        let krate = input.step(|cursor| {
            let mut tokens = TokenStream::new();
            let mut rest = *cursor;
            while let Some((tt, next)) = rest.token_tree() {
                if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ';') {
                    return Ok((tokens, next));
                }
                tokens.extend(std::iter::once(tt));
                rest = next;
            }
            Err(cursor.error("internal: expected the csp path and `;` first"))
        })?;
        let mut cases = Vec::new();
        let mut default: Option<Expr> = None;
        while !input.is_empty() {
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
                continue;
            }
            let kind_ident: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `recv`, `send`, `send_from` or `default`",
                )
            })?;
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
                "send_from" => {
                    let (tx, slot, span) = parse_channel_and(
                        input,
                        "`send_from` needs a channel and a slot: `send_from(tx, &mut slot)`, slot: `Option<T>`",
                        "`send_from` takes a channel and a slot: `send_from(tx, &mut slot)`",
                    )?;
                    let pat = parse_pat(input)?;
                    let body = parse_body(input, span)?;
                    cases.push(Case {
                        kind: Kind::SendFrom(tx, slot),
                        pat,
                        body,
                    });
                }
                "send" => {
                    let (tx, value, span) = parse_channel_and(
                        input,
                        "`send` needs a channel and a value: `send(tx, value)`",
                        "`send` takes a channel and a value: `send(tx, value)`",
                    )?;
                    let pat = parse_pat(input)?;
                    let body = parse_body(input, span)?;
                    cases.push(Case {
                        kind: Kind::Send(tx, value),
                        pat,
                        body,
                    });
                }
                _ => {
                    return Err(syn::Error::new(
                        kind_ident.span(),
                        "expected `recv`, `send`, `send_from` or `default`",
                    ))
                }
            }
        }
        Ok(SelectInput {
            krate,
            cases,
            default,
        })
    }
}

/// Expands `select_in! { <csp path>; <arms> }`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<SelectInput>(input) {
        Ok(select) => select.expand(),
        Err(e) => e.to_compile_error(),
    }
}

impl SelectInput {
    fn expand(self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let names: Vec<Ident> = (0..self.cases.len())
            .map(|i| format_ident!("__csp_case_{}", i, span = Span::mixed_site()))
            .collect();
        // One `Option` per case holds the chosen case's outcome, so the cases
        // (and their borrows of the channels) end before any arm body runs:
        // a body may then reassign a channel variable (the nil-channel idiom).
        let outs: Vec<Ident> = (0..self.cases.len())
            .map(|i| format_ident!("__csp_out_{}", i, span = Span::mixed_site()))
            .collect();
        let slots: Vec<Ident> = (0..self.cases.len())
            .map(|i| format_ident!("__csp_slot_{}", i, span = Span::mixed_site()))
            .collect();
        let value = Ident::new("__csp_value", Span::mixed_site());
        let index = Ident::new("__csp_index", Span::mixed_site());
        let result = Ident::new("__csp_result", Span::mixed_site());

        // Cases are pinned: a waiting select links each into its channel's
        // queue in place.
        let builds = self
            .cases
            .iter()
            .zip(names.iter().zip(&slots))
            .map(|(case, (name, slot))| match &case.kind {
                Kind::Recv(rx) => quote_spanned! {rx.span()=>
                    let mut #name = ::core::pin::pin!(#private::RecvCase::new(#rx));
                },
                Kind::Send(tx, value) => quote_spanned! {tx.span()=>
                    let mut #name = ::core::pin::pin!(#private::SendCase::new(#tx, #value));
                },
                // The slot is bound after the channel is evaluated (source
                // order), and kept to put an unsent value back.
                Kind::SendFrom(tx, slot_expr) => quote_spanned! {tx.span()=>
                    let #slot: &mut ::core::option::Option<_>;
                    let mut #name = ::core::pin::pin!(#private::SendCase::from_slot(#tx, {
                        #slot = #slot_expr;
                        &mut *#slot
                    }));
                },
            });
        // After the chosen case's outcome is taken: a `send_from` case that
        // was not chosen puts its value back in its slot.
        let restores: Vec<TokenStream> = self
            .cases
            .iter()
            .zip(names.iter().zip(&slots))
            .filter(|(case, _)| matches!(case.kind, Kind::SendFrom(..)))
            .map(|(_, (name, slot))| {
                quote! {
                    if let ::core::option::Option::Some(#value) = #name.as_mut().take_unsent() {
                        *#slot = ::core::option::Option::Some(#value);
                    }
                }
            })
            .collect();

        let takes = names.iter().zip(&outs).enumerate().map(|(i, (name, out))| {
            quote! {
                ::core::option::Option::Some(#i) =>
                    #out = ::core::option::Option::Some(#name.as_mut().take_output()),
            }
        });

        let bodies = self.cases.iter().zip(&outs).map(|(case, out)| {
            let pat = match &case.pat {
                Some(pat) => quote!(#pat),
                None => quote!(_),
            };
            let body = &case.body;
            // `let`, not `if let`: a refutable pattern is a compile error
            // (a value that failed to match would be lost).
            quote! {
                if let ::core::option::Option::Some(#value) = #out {
                    let #pat = #value;
                    #body
                } else
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
                    #( #restores )*
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
                quote!(::core::option::Option::Some(#private::select(#refs).await)),
                quote!(::core::unreachable!("select chose no case")),
            ),
        }
    }
}
