"""The methods of the generated client class, one per operation.

Each method takes the operation's input members as keyword arguments (typed by a
``TypedDict`` named ``<Operation>Params``, for ``Unpack``) or a ready input model, and
returns the output model; the docstring is the operation's summary. An operation with
an input event stream returns its output as a duplex stream (``_invoke_duplex``): the
events are sent on it, so they are not an argument.
"""

from __future__ import annotations

from . import docs, ir, naming
from .classify import ShapeIndex
from .imports import RESERVED
from .pytypes import Annotator, literal_type
from .spec import Model, Operation

__all__ = ["client_methods"]


def client_methods(
    model: Model, index: ShapeIndex, types: Annotator
) -> tuple[ir.ClientMethod, ...]:
    """One client method per operation, in model order."""
    taken = set(index.class_names.values()) | set(index.alias_names.values()) | set(RESERVED)
    return tuple(_client_method(index, types, op, taken) for op in model.operations)


def _client_method(
    index: ShapeIndex, types: Annotator, op: Operation, taken: set[str]
) -> ir.ClientMethod:
    params: list[ir.ParamKey] = []
    params_name = ""
    if op.input:
        shape = index.shapes[op.input]
        params_name = f"{op.name}Params"
        while params_name in taken:
            params_name += "_"
        taken.add(params_name)
        for member in shape.members:
            if index.is_input_stream(op.input, member):
                continue
            attr = naming.safe_attr(naming.snake_case(member.name))
            annotation = types.param_type(member.shape, payload=member.name == shape.payload)
            if member.json_value:
                annotation = "JsonValue"
            if member.enum:
                annotation = literal_type(member.enum)
            required = member.name in shape.required and not member.idempotency_token
            params.append(ir.ParamKey(attr, annotation, required))
    return ir.ClientMethod(
        name=naming.safe_attr(naming.snake_case(op.name)),
        operation_const=naming.constant_name(op.name),
        input_class=index.class_names.get(op.input, ""),
        output_class=index.class_names.get(op.output, ""),
        params_name=params_name,
        params=tuple(params),
        duplex=op.input in index.input_streams,
        doc=docs.summary(op.documentation) or f"Call ``{op.name}``.",
    )
