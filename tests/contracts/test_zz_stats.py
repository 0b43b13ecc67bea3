from collections import Counter
from brownie import chain
from hypothesis.stateful import run_state_machine_as_test
from test_council_stateful import CouncilMachine, POOL_SIZE, SETTINGS

STATS = Counter()

def test_stats(council, accounts, typed_error, execution_failed):
    base = CouncilMachine.bound_to(council=council, pool=accounts[:POOL_SIZE], typed_error=typed_error, execution_failed=execution_failed)
    class M(base):
        def _apply(self, proposal):
            STATS["exec_" + proposal.kind] += 1
            super()._apply(proposal)
        def _inner_error(self, proposal):
            e = super()._inner_error(proposal)
            if e: STATS["inner_" + e[0]] += 1
            return e
        def _check_proposal(self, pid, **kw):
            e = super()._check_proposal(pid, **kw)
            if e: STATS["check_" + e[0]] += 1
            return e
        def teardown(self):
            STATS["max_epoch_%d" % self.epoch] += 1
            super().teardown()
    chain.snapshot()
    run_state_machine_as_test(M, settings=SETTINGS)
    print(sorted(STATS.items()))
