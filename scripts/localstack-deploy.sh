#!/usr/bin/env bash
# Deploys the same CDK app to LocalStack with cdklocal, then prints what TEST_TARGET=localstack needs.
# Needs Docker, a running LocalStack (`localstack start`, or `npx @localstack/lstk start`) and
# LOCALSTACK_AUTH_TOKEN (required by the LocalStack image since 2026-03-23).
#
# Version note: aws-cdk-local 3.0.4 drives the aws-cdk 2.x CLI pinned in package.json. With aws-cdk >= 2.177
# aws-cdk-local must be >= 2.19.2; aws-cdk@latest (3.x) refuses this aws-cdk-lib's cloud assembly
# ("Maximum schema version supported is 43.x.x, but found 55.0.0").
set -euo pipefail
cd "$(dirname "$0")/.."

: "${LOCALSTACK_AUTH_TOKEN:?set LOCALSTACK_AUTH_TOKEN (LocalStack account > Auth Token) before starting LocalStack}"
endpoint="${LOCALSTACK_ENDPOINT:-http://localhost.localstack.cloud:4566}"
stack="${LEDGERLINE_STACK:-Ledgerline}"

if ! curl -fsS "$endpoint/_localstack/health" >/dev/null; then
  echo "LocalStack is not reachable at $endpoint; start it first (localstack start)." >&2
  exit 1
fi

export AWS_ENDPOINT_URL="$endpoint"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export CDK_DEFAULT_ACCOUNT=000000000000
export CDK_DEFAULT_REGION="$AWS_REGION"

cdklocal=(npx --yes --package aws-cdk-local@3.0.4 cdklocal)
# A template deploys only for a stage given explicitly: LocalStack is a development stage.
"${cdklocal[@]}" bootstrap -c ledgerline:stage=dev
"${cdklocal[@]}" deploy "$stack" -c ledgerline:stage=dev --require-approval never \
  --outputs-file cdk.out/localstack-outputs.json

# LocalStack serves a REST API at http://<apiId>.execute-api.localhost.localstack.cloud:4566/<stageName>/
api_url=$(node -e '
  const outputs = Object.values(require("./cdk.out/localstack-outputs.json"))[0] ?? {};
  const url = Object.values(outputs).find((v) => /execute-api/.test(v)) ?? "";
  const m = /^https:\/\/([a-z0-9]+)\.execute-api\.[^/]+\/([^/]+)/.exec(url);
  console.log(m ? `http://${m[1]}.execute-api.localhost.localstack.cloud:4566/${m[2]}` : "");
')
echo
echo "API: ${api_url:-<no REST API output found>}"
# Two tenants for the suite, made with the tenants CLI against LocalStack (the SDK and the aws CLI both honour
# AWS_ENDPOINT_URL); each prints its first key once.
echo "Tenants: AWS_ENDPOINT_URL=$endpoint npm run tenants -- --stage dev --stack $stack create --name it-1 --tier enterprise"
echo "         (and again with --name it-2)"
echo "Then: TEST_TARGET=localstack LEDGERLINE_API_KEY=<key 1> LEDGERLINE_API_KEY_2=<key 2> npm run test:integration"
