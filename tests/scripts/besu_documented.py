"""Facts from Hyperledger Besu's documentation that the network kit's tests check its files
against (no Besu binary runs on these machines).

Source: the besu-docs repository (https://github.com/hyperledger/besu-docs), commit
faacf3564faeacd29f784abba519c692919b9815 (2026-03-11), published at https://besu.hyperledger.org.
"""

from __future__ import annotations

# docs/private-networks/how-to/configure/consensus/qbft.md, "Generate extra data": the validators
# in toEncode.json and the RLP that `besu rlp encode --type=QBFT_EXTRA_DATA` prints for them.
RLP_ENCODE_VALIDATORS = (
    "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb",
    "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70",
    "0xc5327f96ee02d7bcbc1bf1236b8c15148971e1de",
    "0xab5e7f4061c605820d3744227eed91ff8e2c8908",
)
RLP_ENCODE_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854944592c8e45706cc"
    "08b8f44b11e43cba0cfc5892cb9406e23768a0f59cf365e18c2e0c89e151bcdedc7094c5327f96ee02d7bcbc1bf1"
    "236b8c15148971e1de94ab5e7f4061c605820d3744227eed91ff8e2c8908c080c0"
)
# Same page, "Genesis file", tab "Block header validator selection": its extraData.
HEADER_GENESIS_VALIDATORS = (
    "0x64a702e6263b7297a96638cac6ae65e6541f4169",
    "0x3923390ad55e90c237593b3b0e401f3b08a03185",
    "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
)
HEADER_GENESIS_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b72"
    "97a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b2"
    "12a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0"
)
# Same page, tab "Contract validator selection": its genesis (code and storage left out).
CONTRACT_GENESIS = {
    "config": {
        "chainid": 1337,
        "berlinBlock": 0,
        "qbft": {
            "epochlength": 30000,
            "blockperiodseconds": 5,
            "requesttimeoutseconds": 10,
            "validatorcontractaddress": "0x0000000000000000000000000000000000007777",
        },
    },
    "nonce": "0x0",
    "timestamp": "0x5b3d92d7",
    "extraData": "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0",
    "gasLimit": "0x29b92700",
    "difficulty": "0x1",
    "mixHash": "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365",
    "coinbase": "0x0000000000000000000000000000000000000000",
    "alloc": {
        "0x0000000000000000000000000000000000007777": {
            "comment": "validator smart contract",
            "balance": "0",
            "code": "0x…",
            "storage": {
                "0000000000000000000000000000000000000000000000000000000000000000": (
                    "0000000000000000000000000000000000000000000000000000000000000002"
                ),
            },
            "version": "0x01",
        },
    },
    "number": "0x0",
    "gasUsed": "0x0",
    "parentHash": "0x0000000000000000000000000000000000000000000000000000000000000000",
}

# docs/private-networks/how-to/configure/free-gas.md: free gas needs "zeroBaseFee": true (London
# or later) and `min-gas-price=0` on every node.

# docs/public-networks/reference/cli/options.md and docs/private-networks/reference/cli/options.md:
# every option heading. A TOML configuration key is the option's name without "--"
# (docs/public-networks/how-to/configure-besu/index.md).
OPTIONS = frozenset({
    "Xhelp", "api-gas-price-blocks", "api-gas-price-max", "api-gas-price-percentile",
    "auto-log-bloom-caching-enabled", "banned-node-ids", "block-txs-selection-max-time",
    "bonsai-historical-block-limit", "bonsai-limit-trie-logs-enabled",
    "bonsai-parallel-tx-processing-enabled", "bonsai-trie-logs-pruning-window-size", "bootnodes",
    "cache-last-block-headers", "cache-last-block-headers-preload-enabled", "cache-last-blocks",
    "color-enabled", "config-file", "data-path", "data-storage-format", "discovery-dns-url",
    "discovery-enabled", "engine-host-allowlist", "engine-jwt-disabled", "engine-jwt-secret",
    "engine-rpc-enabled", "engine-rpc-port", "era1-data-uri",
    "era1-import-prepipeline-concurrency", "era1-import-prepipeline-enabled",
    "estimate-gas-tolerance-ratio", "ethstats", "ethstats-cacert-file", "ethstats-contact",
    "ethstats-report-interval", "fast-sync-min-peers", "genesis-file",
    "genesis-state-hash-cache-enabled", "graphql-http-cors-origins", "graphql-http-enabled",
    "graphql-http-host", "graphql-http-port", "graphql-mtls-enabled", "graphql-tls-enabled",
    "graphql-tls-keystore-file", "graphql-tls-keystore-password-file",
    "graphql-tls-truststore-file", "graphql-tls-truststore-password-file", "help",
    "history-expiry-prune", "host-allowlist", "identity", "json-pretty-print-enabled",
    "key-value-storage", "kzg-trusted-setup", "logging", "max-peers", "metrics-category",
    "metrics-enabled", "metrics-host", "metrics-port", "metrics-protocol", "metrics-push-enabled",
    "metrics-push-host", "metrics-push-interval", "metrics-push-port",
    "metrics-push-prometheus-job", "min-block-occupancy-ratio", "min-gas-price",
    "min-priority-fee", "miner-extra-data", "nat-method", "net-restrict", "network", "network-id",
    "node-private-key-file", "p2p-enabled", "p2p-host", "p2p-interface", "p2p-port",
    "permissions-accounts-config-file", "permissions-accounts-config-file-enabled",
    "permissions-nodes-config-file", "permissions-nodes-config-file-enabled",
    "plugin-block-txs-selection-max-time", "plugin-continue-on-error", "plugins",
    "plugins-verification-mode", "poa-block-txs-selection-max-time",
    "poa-discovery-retry-bootnodes", "print-paths-and-exit", "profile",
    "random-peer-priority-enabled", "receipt-compaction-enabled",
    "remote-connections-limit-enabled", "remote-connections-max-percentage",
    "reorg-logging-threshold", "required-block", "revert-reason-enabled", "rpc-gas-cap",
    "rpc-http-api", "rpc-http-api-methods-no-auth", "rpc-http-authentication-credentials-file",
    "rpc-http-authentication-enabled", "rpc-http-authentication-jwt-algorithm",
    "rpc-http-authentication-jwt-public-key-file", "rpc-http-cors-origins", "rpc-http-enabled",
    "rpc-http-host", "rpc-http-max-active-connections", "rpc-http-max-batch-size",
    "rpc-http-max-request-content-length", "rpc-http-port", "rpc-http-tls-ca-clients-enabled",
    "rpc-http-tls-cipher-suite", "rpc-http-tls-client-auth-enabled", "rpc-http-tls-enabled",
    "rpc-http-tls-keystore-file", "rpc-http-tls-keystore-password-file",
    "rpc-http-tls-known-clients-file", "rpc-http-tls-protocol", "rpc-http-tls-truststore-file",
    "rpc-http-tls-truststore-password-file", "rpc-max-logs-range", "rpc-max-trace-filter-range",
    "rpc-tx-feecap", "rpc-ws-api", "rpc-ws-api-methods-no-auth",
    "rpc-ws-authentication-credentials-file", "rpc-ws-authentication-enabled",
    "rpc-ws-authentication-jwt-algorithm", "rpc-ws-authentication-jwt-public-key-file",
    "rpc-ws-enabled", "rpc-ws-host", "rpc-ws-max-active-connections", "rpc-ws-max-frame-size",
    "rpc-ws-port", "rpc-ws-ssl-cert-file", "rpc-ws-ssl-client-auth-enabled", "rpc-ws-ssl-enabled",
    "rpc-ws-ssl-key-file", "rpc-ws-ssl-keystore-file", "rpc-ws-ssl-keystore-password",
    "rpc-ws-ssl-keystore-password-file", "rpc-ws-ssl-keystore-type", "rpc-ws-ssl-trustcert-file",
    "rpc-ws-ssl-truststore-file", "rpc-ws-ssl-truststore-password",
    "rpc-ws-ssl-truststore-password-file", "rpc-ws-ssl-truststore-type", "security-module",
    "snapsync-server-enabled", "snapsync-synchronizer-pre-checkpoint-headers-only-enabled",
    "snapsync-synchronizer-transaction-indexing-enabled", "static-nodes-file",
    "strict-tx-replay-protection-enabled", "sync-min-peers", "sync-mode", "target-gas-limit",
    "tx-pool", "tx-pool-blob-price-bump", "tx-pool-enable-balance-check",
    "tx-pool-enable-save-restore", "tx-pool-layer-max-capacity",
    "tx-pool-limit-by-account-percentage", "tx-pool-max-future-by-sender",
    "tx-pool-max-prioritized", "tx-pool-max-prioritized-by-type", "tx-pool-max-size",
    "tx-pool-min-gas-price", "tx-pool-min-score", "tx-pool-no-local-priority",
    "tx-pool-price-bump", "tx-pool-priority-senders", "tx-pool-retention-hours",
    "tx-pool-save-file", "version", "version-compatibility-protection",
})  # fmt: skip
# options.md, `--rpc-http-api`: "The available API options are: …".
RPC_APIS = frozenset(
    {"ADMIN", "CLIQUE", "DEBUG", "ENGINE", "ETH", "IBFT", "MINER", "NET", "PERM", "PLUGINS", "QBFT",
     "TRACE", "TXPOOL", "WEB3"}
)  # fmt: skip
SYNC_MODES = frozenset({"SNAP", "CHECKPOINT", "FAST", "FULL"})  # options.md, `--sync-mode`
STORAGE_FORMATS = frozenset({"BONSAI", "FOREST"})  # options.md, `--data-storage-format`
# options.md's "Configuration file" examples: how each kind of value is written in TOML.
STRING_OPTIONS = frozenset(
    {"genesis-file", "data-path", "node-private-key-file", "p2p-host", "static-nodes-file",
     "sync-mode", "data-storage-format", "rpc-http-host", "permissions-accounts-config-file",
     "metrics-host", "tx-pool-min-gas-price"}  # tx-pool-min-gas-price="2000"
)  # fmt: skip
INTEGER_OPTIONS = frozenset({"min-gas-price", "p2p-port", "rpc-http-port", "metrics-port"})
BOOLEAN_OPTIONS = frozenset(
    {"discovery-enabled", "rpc-http-enabled", "permissions-accounts-config-file-enabled",
     "metrics-enabled"}
)  # fmt: skip
LIST_OPTIONS = frozenset({"rpc-http-api", "host-allowlist"})

# docs/public-networks/concepts/node-keys.md: enode URL format `enode://<id>@<host:port>`, id =
# the node public key without 0x (128 hex digits). Besu's key file: KeyPairUtil.loadPrivateKey in
# hyperledger/besu (crypto/algorithms/.../KeyPairUtil.java) reads exactly one line and parses it
# with Bytes32.fromHexString; Besu itself writes "0x" + 64 hex digits.
ENODE = r"enode://[0-9a-f]{128}@[^:@/]+:[0-9]{1,5}"
KEY_FILE = r"0x[0-9a-f]{64}"
