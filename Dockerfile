# gitops bot image: the binary, terraform and the AWS provider as a filesystem
# mirror, so the bot never downloads providers at run time.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/gitops ./cmd/gitops

FROM hashicorp/terraform:1.11.4 AS terraform

# Mirror exactly the providers the stack requires (hashicorp/aws 5.100.0).
FROM debian:bookworm-slim AS providers
COPY --from=terraform /bin/terraform /usr/local/bin/terraform
COPY terraform/stack/versions.tf /stack/versions.tf
RUN terraform -chdir=/stack providers mirror -platform=linux_amd64 /opt/tf-plugins

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/gitops gitops
COPY --from=terraform /bin/terraform /usr/local/bin/terraform
COPY --from=providers /opt/tf-plugins /opt/tf-plugins
COPY --from=build /out/gitops /usr/local/bin/gitops
USER 10001
WORKDIR /home/gitops
ENTRYPOINT ["/usr/local/bin/gitops"]
CMD ["--help"]
