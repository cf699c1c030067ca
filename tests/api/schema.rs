//! `schema.graphql` is the exported SDL of the served schema.

#[test]
fn schema_graphql_matches_the_served_schema() {
    let served = paygraph::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let file = std::fs::read_to_string(path).unwrap_or_default();
    if file != served {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &served).unwrap();
            return;
        }
        panic!(
            "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test schema` or `cargo run -- schema > schema.graphql`"
        );
    }
}

#[test]
fn the_contract_names_are_in_the_schema() {
    let sdl = paygraph::graphql::sdl();
    for name in [
        "type QueryRoot",
        "type MutationRoot",
        "interface Node",
        "enum PaymentSessionStatus",
        "enum PaymentSessionPurpose",
        "enum PaymentMethodType",
        "type Money",
        "type UserError",
        "type PaymentSession implements Node",
        "type PaymentSessionEvent",
        "type PaymentSessionConnection",
        "createPaymentSession(input: CreatePaymentSessionInput!): CreatePaymentSessionPayload!",
        "cancelPaymentSession(input: CancelPaymentSessionInput!): PaymentSessionPayload!",
    ] {
        assert!(sdl.contains(name), "missing {name}");
    }
}
