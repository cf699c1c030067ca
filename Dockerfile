# Production image: a static-ish release binary on a slim base.
FROM rust:1.95-slim AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin paygraph

FROM debian:bookworm-slim
RUN useradd --system paygraph
COPY --from=build /src/target/release/paygraph /usr/local/bin/paygraph
USER paygraph
ENV PAYGRAPH_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["paygraph"]
CMD ["serve"]
