"""The demo city's payments: fees, tariffs, payees and treasury by council decision, balances
minted by the treasury through the gateway; a second run changes nothing."""

from __future__ import annotations

from eth_account import Account

from registry_core.codes import code_to_bytes32
from registry_core.council import chain_view
from registry_core.payments.demo import DEMO_FEES, DEMO_TARIFFS
from registry_core.rpc import RpcClient
from scripts.payments_seed import mint_balances, seed_payments
from tests.payment_fixtures import CITIZEN_BALANCE, PaymentCity


def test_schedule_payees_and_balances_are_in_place(payment_city: PaymentCity) -> None:
    city = payment_city.city
    with RpcClient(city.rpc_url) as rpc:
        view = chain_view(rpc, city.manifest)
        for fee in DEMO_FEES:
            terms, _ = view("FeeSchedule", "service", code_to_bytes32(fee.service))
            assert (terms[1], terms[2], terms[-2]) == (fee.amount, 0, fee.name_de)
        for tariff in DEMO_TARIFFS:
            bound = view("FeeSchedule", "tariff", code_to_bytes32(tariff.service))
            assert (bound[2], bound[3]) == (tariff.rate, tariff.unit_seconds)
        assert view("FeeSchedule", "payeeOf", code_to_bytes32("FB33")) == city.keys["FB33"].address
        assert view("CityToken", "balanceOf", payment_city.citizens[0].address) <= CITIZEN_BALANCE
        assert rpc.request("eth_getBalance", [payment_city.citizens[0].address, "latest"]) == "0x0"


def test_second_run_decides_and_mints_nothing(payment_city: PaymentCity) -> None:
    city = payment_city.city
    payees = {code: key.address for code, key in city.keys.items()}
    with RpcClient(city.rpc_url) as rpc:
        assert (
            seed_payments(
                rpc=rpc, manifest=city.manifest, council=city.council, payees=payees,
                treasury=payment_city.treasury.address,
            )
            == 0
        )  # fmt: skip
        target = {Account.create().address: 500}
        assert mint_balances(
            rpc=rpc, manifest=city.manifest, treasury=payment_city.treasury, balances=target
        ) == 500  # fmt: skip
        assert mint_balances(
            rpc=rpc, manifest=city.manifest, treasury=payment_city.treasury, balances=target
        ) == 0  # fmt: skip
