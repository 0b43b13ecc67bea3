#!/bin/sh
# Defines the brownie development network that runs the contract tests on anvil from node_modules.
# Gas-free like the city chain (base fee and gas price 0); brownie starts and stops it itself.
set -eu
brownie="$1"
name="$2"
port="${3:-8555}"
"$brownie" networks delete "$name" >/dev/null 2>&1 || true
"$brownie" networks add Development "$name" cmd=anvil host=http://127.0.0.1 port="$port" \
  chain_id=52062 accounts=10 base_fee=0 gas_price=0 gas_limit=30000000
