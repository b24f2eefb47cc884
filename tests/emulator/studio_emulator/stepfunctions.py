"""Step Functions error matching as AWS documents it, patched into moto's ASL interpreter.

Step Functions developer guide, "Handling errors in Step Functions workflows" (error names):
- `States.ALL` "can't catch the States.DataLimitExceeded terminal error or Runtime error types";
- `States.Runtime`: "A States.Runtime error isn't retriable, and will always cause the execution
  to fail. A retry or catch on States.ALL won't catch States.Runtime errors." A JSONPath that
  does not exist in the input of `Parameters`, `ResultSelector`, `InputPath` or `OutputPath` is
  such an error.

moto 5.2.5 (ported from LocalStack) matches `States.ALL` against every error, so a Catch on it
ran the cleanup state after a States.Runtime. `ErrorEqualsDecl` serves both Retry and Catch.

API reference, StopExecution ("Stops an execution"): a stopped execution ends ABORTED and nothing
of it runs afterwards. moto's interpreter let a state interrupted by the stop (a retry wait, a task
in flight) raise afterwards, and that error overwrote the stop: FAILED, at random.
"""
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

RUNTIME = StatesErrorName(typ=StatesErrorNameType.StatesRuntime)
DATA_LIMIT = StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded)
ALL = StatesErrorName(typ=StatesErrorNameType.StatesALL)


def _matches(decl: ErrorEqualsDecl, error_name) -> bool:
    if error_name == RUNTIME:
        return False  # never retried nor caught, whatever ErrorEquals says
    if error_name == DATA_LIMIT:
        return DATA_LIMIT in decl.error_names  # only by name, not by States.ALL
    return None  # moto's own rules


def install() -> None:
    original = ErrorEqualsDecl._eval_body

    def _eval_body(self, env) -> None:
        error_name = env.stack[-1]
        verdict = _matches(self, error_name)
        if verdict is None:
            return original(self, env)
        env.stack.pop()
        env.stack.append(verdict)

    ErrorEqualsDecl._eval_body = _eval_body

    # A stop is final: an error or a timeout raised afterwards by what the stop interrupted
    # does not replace it.
    for name in ("set_error", "set_timed_out"):
        setattr(Environment, name, _unless_stopped(getattr(Environment, name)))


def _unless_stopped(original):
    def wrapper(self, *args, **kwargs):
        with self._state_mutex:
            if isinstance(self._program_state, ProgramStopped):
                return None
            return original(self, *args, **kwargs)

    return wrapper
