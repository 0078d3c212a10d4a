//! Examples, benches and end-to-end tests of csp live beside this file.
