"""The same expression in PyTorch: ``to_torch_fn(f)`` and ``TorchMath``.

``to_torch_fn(f)`` turns a function of Values (or an expression string) into the same
function on 0-d float64 tensors, so ``torch.autograd`` can be set beside tracegrad on any
expression. Each call runs ``f`` on Values made from the tensors' numbers (so a Python
``if`` inside ``f`` takes the branch the numbers say, as in eager PyTorch) and rebuilds the
recorded graph node by node in torch, reading each op from the table:

- an op whose ``method`` names a torch function (``torch.exp``, ``torch.sigmoid``,
  ``torch.relu`` ...) is computed by that function, so torch differentiates it its own way;
- any other op (the operators, ``step``) runs the table's own ``array`` forward with
  ``TorchMath`` in place of numpy.

``TorchMath`` mirrors ``FloatMath`` (``tracegrad.autograd.ops``) name for name, so the
table's partial derivatives also evaluate on tensors: the tests set them beside
``torch.autograd``'s for every op. Nothing here names an individual op.

torch is optional (the ``oracle`` extra). It is imported when a function here is first
called, never when tracegrad is imported; without it the call raises ImportError saying
how to install it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from tracegrad.autograd.graph import topo_order
from tracegrad.autograd.limits import refuse_in_browser
from tracegrad.autograd.ops import FloatMath, Math, Op
from tracegrad.autograd.parse import parse_expression
from tracegrad.autograd.value import Value

__all__ = ["require_torch", "TorchMath", "torch_forward", "graph_to_torch", "to_torch_fn"]

INSTALL_HINT = "pip install 'tracegrad[oracle]'"

Scalar = Any  # a float or a torch.Tensor


def require_torch() -> Any:
    """The torch module, or an ImportError that says how to install it."""
    refuse_in_browser("the PyTorch bridge", "PyTorch has no build for the browser")
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ModuleNotFoundError(
            f"this needs PyTorch, which is not installed: {INSTALL_HINT} "
            "(or, in the repository, make test-oracle)",
            name="torch",
        ) from None


def _is_tensor(x: Any) -> bool:
    torch = require_torch()
    return isinstance(x, torch.Tensor)


def _tensor(x: Any) -> Any:
    """x as a float64 tensor (a constant when x is a number)."""
    torch = require_torch()
    if isinstance(x, torch.Tensor):
        return x
    return torch.tensor(float(x), dtype=torch.float64)


def _lift(name: str) -> Callable[[Scalar], Scalar]:
    """m.<name>: torch's function on a tensor, FloatMath's on a plain number."""
    on_float = getattr(FloatMath, name)

    def f(x: Scalar) -> Scalar:
        return getattr(require_torch(), name)(x) if _is_tensor(x) else on_float(x)

    f.__name__ = name
    f.__doc__ = f"torch.{name}(x) on a tensor, FloatMath.{name}(x) on a number."
    return f


class TorchMath(Math):
    """Math namespace on torch tensors: ``Math``'s primitives (the special cases come from
    ``Math``, written once) plus the numpy functions the table's ``array`` forwards call."""

    exp = staticmethod(_lift("exp"))
    log = staticmethod(_lift("log"))
    sqrt = staticmethod(_lift("sqrt"))
    sin = staticmethod(_lift("sin"))
    cos = staticmethod(_lift("cos"))

    @staticmethod
    def div(x: Scalar, y: Scalar) -> Scalar:
        """x / y with IEEE semantics at y == 0 (±inf, or nan for 0/0), as FloatMath.div."""
        if not _is_tensor(x) and not _is_tensor(y):
            return FloatMath.div(x, y)
        return x / y

    @staticmethod
    def pow(x: Scalar, y: Scalar) -> Scalar:
        if not _is_tensor(x) and not _is_tensor(y):
            return FloatMath.pow(x, y)
        return x**y

    @staticmethod
    def step(x: Scalar) -> Scalar:
        """1.0 where x > 0 else 0.0, a constant (no gradient flows through it)."""
        if not _is_tensor(x):
            return FloatMath.step(x)
        return (x.detach() > 0).to(require_torch().float64)

    @staticmethod
    def const(x: Scalar) -> Scalar:
        """x cut from the graph: constants are not differentiated."""
        return x.detach() if _is_tensor(x) else x

    # numpy's names, for the table's ``array`` forwards (``op.array(TorchMath, *inputs)``)
    @staticmethod
    def divide(x: Any, y: Any) -> Any:
        return require_torch().divide(_tensor(x), y)

    @staticmethod
    def power(x: Any, y: Any) -> Any:
        return require_torch().pow(_tensor(x), y)

    @staticmethod
    def tanh(x: Any) -> Any:
        return require_torch().tanh(x)

    @staticmethod
    def abs(x: Any) -> Any:
        return require_torch().abs(x)

    @staticmethod
    def where(cond: Any, x: Any, y: Any) -> Any:
        """numpy.where (a plain bool picks x or y); plain numbers become float64 tensors."""
        if not _is_tensor(cond):
            return x if cond else y
        return require_torch().where(cond, _tensor(x), _tensor(y))

    @staticmethod
    def mul(g: Any, d: Any) -> Any:
        return g * d


def torch_forward(op: Op) -> Callable[..., Any]:
    """op as a torch function of tensors: torch's own function named by ``op.method`` when
    torch has one, else the table's ``array`` forward with ``TorchMath`` for numpy."""
    torch = require_torch()
    native = getattr(torch, op.method, None) if op.method else None
    if callable(native):
        return native
    array = op.array
    if array is None:
        raise NotImplementedError(
            f"operation {op.name!r} has no torch function and no array forward in the table"
        )
    return lambda *xs: array(TorchMath, *xs)


def graph_to_torch(root: Value, inputs: Mapping[Value, Any]) -> Any:
    """root's recorded graph rebuilt in torch: each Value in ``inputs`` is the tensor given
    for it, every other leaf a float64 constant, every op node the op on its inputs' tensors.

    An input an op does not differentiate (the constant exponent of ``x ** 2``) is passed as
    the plain number, as a PyTorch user writes ``x ** 2``.
    """
    torch = require_torch()
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}")
    forwards: dict[Op, Callable[..., Any]] = {}
    done: dict[Value, Any] = {}
    for node in topo_order(root):
        op = node._op
        if node in inputs:
            done[node] = inputs[node]
        elif op is None:
            done[node] = torch.tensor(node.data, dtype=torch.float64)
        else:
            if op not in forwards:
                forwards[op] = torch_forward(op)
            args = [
                done[p] if live or p in inputs else p.data
                for p, live in zip(node.parents, op.differentiable)
            ]
            done[node] = forwards[op](*args)
    return done[root]


def _scalar_tensor(torch: Any, x: Any, i: int) -> Any:
    """Argument i as a 0-d float64 tensor (a number becomes a constant tensor)."""
    if isinstance(x, torch.Tensor):
        if x.dim() != 0:
            raise ValueError(
                f"to_torch_fn: argument {i} has shape {tuple(x.shape)}; the function takes "
                "0-d tensors (scalars), as its Values are scalars"
            )
        if not (x.is_floating_point() or x.dtype in (torch.int32, torch.int64)):
            raise TypeError(f"to_torch_fn: argument {i} has dtype {x.dtype}, not a real number")
        return x.to(torch.float64)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(
            f"to_torch_fn: argument {i} must be a 0-d tensor or a number, got {type(x).__name__}"
        )
    return torch.tensor(float(x), dtype=torch.float64)


def to_torch_fn(f: Callable[..., Value] | str) -> Callable[..., Any]:
    """The same function on 0-d float64 tensors, differentiable by ``torch.autograd``.

    ``f`` is a function of scalar Values (as for ``grad``) or an expression string such as
    ``"tanh(a*b + c)"``, whose arguments are its names in order of first appearance. Values
    ``f`` uses without taking them as arguments (a model's weights) are constants in torch.

    >>> g = to_torch_fn(lambda x, y: (x * y).sin() + x ** 2)   # doctest: +SKIP
    >>> x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)   # doctest: +SKIP
    >>> g(x, 2.0).backward(); x.grad   # d/dx = y cos(xy) + 2x   # doctest: +SKIP
    tensor(1.1677, dtype=torch.float64)
    """
    require_torch()  # say how to install it now, not at the first call
    if isinstance(f, str):
        expr = parse_expression(f)

        def fn(*xs: Value) -> Value:
            if len(xs) != len(expr.names):
                raise TypeError(
                    f"{f!r} takes {len(expr.names)} argument(s) ({', '.join(expr.names)}), "
                    f"got {len(xs)}"
                )
            return expr.evaluate(dict(zip(expr.names, xs)))

        name = f
    elif callable(f):
        fn = f
        name = getattr(f, "__name__", "f")
    else:
        raise TypeError(f"to_torch_fn needs a function or an expression string, got {f!r}")

    def torch_fn(*args: Any) -> Any:
        torch = require_torch()
        tensors = [_scalar_tensor(torch, x, i) for i, x in enumerate(args)]
        leaves = [Value(float(t.detach().item())) for t in tensors]
        out = fn(*leaves)
        if not isinstance(out, Value):
            if isinstance(out, (int, float)) and not isinstance(out, bool):
                return torch.tensor(float(out), dtype=torch.float64)
            raise TypeError(f"to_torch_fn: {name} returned {type(out).__name__}, not a Value")
        return graph_to_torch(out, dict(zip(leaves, tensors)))

    torch_fn.__name__ = f"torch_{getattr(fn, '__name__', 'f')}"
    torch_fn.__doc__ = f"{name} on 0-d float64 torch tensors (made by to_torch_fn)."
    return torch_fn
