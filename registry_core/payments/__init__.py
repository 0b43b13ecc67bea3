"""The city's payments off chain: EIP-712 types of the payment contracts, channel rules, vouchers.

One home for what the API, the wallet, the officer's check, the benchmarks and the contract tests
share: the signed struct types and domains (``types``), the tariff-cap and "paid until" arithmetic
and the voucher check (``channels``), and the voucher QR payload (``voucher_qr``).
"""
