"""The catalogue of diagnostic codes: what each means and how to fix it, shipped with the package.

Every code ``snnir.verify`` can report has an entry, plus a few topics that errors outside verification
point to (``invalid-ir`` for construction errors, ``unreadable-file`` for the command line's
``validate``). ``explain(code)`` gives the text that ``snnir explain CODE`` prints:

    >>> from snnir.codes import explain
    >>> print(explain("algebraic-loop"))        # doctest: +ELLIPSIS
    algebraic-loop (warning): a zero-delay cycle through stateless nodes, broken by a feedback mark
    ...
"""

from __future__ import annotations

import dataclasses
import textwrap
from types import MappingProxyType
from typing import Literal, Mapping

from .diagnostics import did_you_mean
from .errors import SnnirError


class UnknownCodeError(SnnirError, ValueError):
    """``explain`` was asked for a code the catalogue does not have."""


@dataclasses.dataclass(frozen=True)
class Code:
    """One catalogue entry: the code, its severity, a one-line title, an explanation, an example and the fix.

    ``stage`` says where the code comes from: ``"verify"`` (a :class:`snnir.Diagnostic` code),
    ``"target"`` (a diagnostic of ``snnir.verify(graph, target=...)``: the graph breaks a chip's rules),
    ``"construction"`` (building a node, edge or graph) or ``"file"`` (reading a model file)."""

    code: str
    severity: Literal["error", "warning"]
    title: str
    explanation: str
    fix: str
    example: str = ""
    stage: Literal["verify", "target", "construction", "file"] = "verify"

    def text(self) -> str:
        """The entry as ``snnir explain`` prints it."""
        parts = [f"{self.code} ({self.severity}): {self.title}", _paragraph(self.explanation)]
        if self.example:
            parts.append("Example:\n" + textwrap.indent(textwrap.dedent(self.example).strip("\n"), "    "))
        parts.append("How to fix it:\n" + _paragraph(self.fix, indent="    "))
        return "\n\n".join(parts)


def _paragraph(text: str, indent: str = "") -> str:
    words = " ".join(textwrap.dedent(text).split())
    return textwrap.fill(words, width=100, initial_indent=indent, subsequent_indent=indent)


_ENTRIES = (
    Code(
        "duplicate-id", "error", "two or more nodes share one id",
        "Node ids name nodes in edges, traces, states and errors, so each must be unique. The diagnostic "
        "names the shared id once.",
        "Give every node its own id.",
        'Graph(nodes=[Scale(id="s", scale=2.0), Scale(id="s", scale=3.0), ...])',
    ),
    Code(
        "unknown-node", "error", "an edge names a node id that is not in the graph",
        "The edge's source or destination is not the id of any node, usually a misspelling. The diagnostic "
        "names the edge and the end that does exist; the hint suggests the closest known id. The edge is "
        "read as the one it was probably meant to be, so the node it should have fed is not also reported "
        "as unfed or unreachable.",
        "Correct the id in the edge (the hint's 'did you mean'), add the missing node, or remove the edge.",
        'Edge("fc", "lfi")      # the graph has a node "lif"',
    ),
    Code(
        "unknown-port", "error", "an edge reads or writes a port the node does not have",
        "Every node offers output ports (\"out\"; neurons also \"v\", CubaLIF also \"i\", counters "
        "\"count\") and takes input ports (\"in\"; a Concat takes \"in0\", \"in1\", ...). An Input takes no "
        "input (the caller feeds it) and an Output offers no output.",
        "Use one of the ports the message lists; read from the node that feeds an Output instead of from the "
        "Output; remove edges into an Input.",
        'Edge("s", "y", src_port="v")      # s is a Scale: it offers only "out"',
    ),
    Code(
        "no-inputs", "error", "the graph has no Input node",
        "A program's inputs are its Input nodes; without one there is nothing to feed.",
        "Add an Input node with the per-sample shape of your data and connect it.",
    ),
    Code(
        "no-outputs", "error", "the graph has no Output node",
        "A program returns the values of its Output nodes; without one it computes nothing visible.",
        "Add an Output node fed by the layer whose values you want returned.",
    ),
    Code(
        "missing-input", "error", "nothing is connected to one of a node's input ports",
        "Every input port of a node needs at least one edge into it (several edges into one port are "
        "summed).",
        "Add an edge into the node (with dst_port= for a port other than \"in\"), or remove the node.",
        'Scale(id="s", scale=1.0) with no edge into "s"',
    ),
    Code(
        "shape-mismatch", "error", "the shapes arriving at a node do not fit it",
        "Shapes are per sample (no batch or time axes). A Linear's weight [out, in] must match the last axis "
        "of its input, a neuron's shape must equal its input's, a parameter array must broadcast, several "
        "edges summed into one port must carry one shape, and a declared Output shape must match. The "
        "message lists the shape each incoming edge carries.",
        "Follow the hint: give the Linear a weight [out, in] with in equal to the incoming size, insert a "
        "Linear or Flatten, or fix the neuron's shape.",
        'Edge("x", "fc") with x of shape (3,) and fc = Linear(weight of shape [4, 5])',
    ),
    Code(
        "unknown-shape", "error", "nothing determines the shape of a node's output",
        "A node's shape follows from what feeds it; a node that is fed, but that no Input or sized node "
        "(a neuron with a shape) reaches, has none, e.g. a delayed cycle of Scales fed by nothing.",
        "Connect the nodes to an Input (directly or through sized nodes).",
    ),
    Code(
        "bad-parameter", "error", "a node's own parameters are wrong given its input shapes",
        "A decay outside [0, 1], a per-neuron parameter that does not broadcast to the neuron shape, a bias "
        "of the wrong length, reset='to_value' without reset_value, conflicting options. One diagnostic per "
        "problem.",
        "Change the parameter as the hint says (a decay is exp(-dt/tau), between 0 and 1). help() on the "
        "node's class (e.g. help(snnir.LIF)) documents every field.",
        'LIF(id="n", shape=(3,), decay=1.5)',
    ),
    Code(
        "bad-quantization", "error", "a node's quant entry does not fit the node",
        "node.quant maps a parameter name (or a neuron's state variable, v or i) to a snnir.Quantization. "
        "The entry must name a parameter the node has and sets, have 2 to 32 bits and a positive finite "
        "scale; a per-channel scale needs one entry per channel along its axis (a Linear weight [out, in] "
        "has out channels on axis 0; a neuron parameter counts the neuron shape's channels); form='shift' "
        "is for decays only, unsigned with scale 1. One diagnostic per problem.",
        "Fix the entry as the hint says, or let snnir.quantize(graph, ...) choose the scales.",
        'Linear(id="fc", weight=np.zeros((4, 3)), quant={"weight": Quantization(bits=8, scale=[0.1, 0.1])})',
    ),
    Code(
        "mixed-dtypes", "error", "float array parameters use more than one dtype",
        "A program computes in one parameter dtype. Scalar parameters do not count: they follow the program "
        "dtype. The message groups the nodes' array parameters by dtype.",
        "Cast the whole graph: g = g.astype(\"float32\").",
    ),
    Code(
        "algebraic-loop", "warning", "a zero-delay cycle through stateless nodes, broken by a feedback mark",
        "In a cycle of stateless nodes (Linear, Scale, Flatten, LayerNorm, ...) with no delay on any edge, "
        "nothing holds a value across steps, so within one step each node would need the others' value of "
        "that same step. compile breaks it like any other cycle, by the feedback rule: the edge back into "
        "the earliest declared node reads the previous step (at step 0 its source's rest value), as SNNAX "
        "and NIR read such graphs. The warning names the cycle's nodes in declaration order and, as its "
        "edges, the marked ones. The graph is judged in the mode it is "
        "compiled in: in delayed mode every edge between top-level layers already has a delay, so only a "
        "cycle inside a same-step composite (CompoundLayer, Parallel, ResNetBlock) is reported. A cycle "
        "through a neuron is broken the same way without a warning.",
        "Nothing, if reading the previous step is what you mean: mark that edge yourself "
        "(Edge(..., feedback=True)) or give it delay=1 to say so, and the warning goes. Otherwise put a "
        "neuron in the loop.",
        'Edge("a", "b"), Edge("b", "c"), Edge("c", "a") with three Scales (c -> a is marked)',
    ),
    Code(
        "unreachable-node", "error", "no path leads from any Input to this node",
        "A node no Input reaches only ever sees zeros (checked when the graph has an Input).",
        "Connect the node, through other nodes, to an Input, or remove it.",
    ),
    Code(
        "unreachable-output", "error", "an Output that no Input reaches",
        "The Output would always return zeros.",
        "Connect it to the layer whose values you want, or remove it.",
    ),
    Code(
        "reserved-id", "error", "a node id contains '/' in a graph that has composites",
        "Expanded composites name their inner nodes block/inner, so '/' is reserved in graphs with "
        "Subgraph nodes (an already expanded graph, e.g. from prog.to_graph(), may use it).",
        "Rename the node without '/'.",
    ),
    Code(
        "composite-ports", "error", "a composite without an input or output port, or with a bad port name",
        "A Subgraph's ports are the ids of the Input and Output nodes inside it, so it needs at least one "
        "of each, named like identifiers.",
        "Add the missing Input or Output node to the inner graph; name ports with letters, digits and '_'.",
    ),
    Code(
        "unused-output", "warning", "nothing reads this node's output",
        "No edge leaves the node and no Output depends on it (an unused Input is reported this way too). "
        "Sinks (Outputs, spike counters) are never reported. A warning: verify returns it and does not "
        "raise.",
        "Connect the node to an Output (or another node), or remove it.",
    ),
    Code(
        "dead-node", "warning", "the node's output is read only by a branch no Output depends on",
        "The node is part of a branch whose result is thrown away. A warning: verify returns it and does "
        "not raise.",
        "Connect the branch to an Output, or remove it.",
    ),
    Code(
        "target-kind", "error", "the target does not run this node kind (or this neuron's reset)",
        "Checked with snnir.verify(graph, target=NAME). A chip runs a few neuron models and a few layer "
        "kinds; the profile lists them (profile.neurons, profile.layers). A neuron kind it runs may still "
        "reset in one way only (Xylo's neurons reset by subtraction). Inputs, Outputs, Flatten, Dropout and "
        "host-side readouts (spike counters) are accepted everywhere.",
        "Use one of the kinds the message lists (e.g. IF instead of LIF on Speck), set the reset the hint "
        "names and retrain, fold a Scale into the next Linear's weights, or choose another target.",
        'snnir.verify(g, target="speck") with LIF(id="h", ...)   # Speck runs IF neurons only',
        stage="target",
    ),
    Code(
        "target-capacity", "error", "the graph's neurons or synapses do not fit the target's cores",
        "A layer with more neurons than the whole chip, layers that hold more neurons in all than the chip, "
        "a neuron whose incoming synapses overflow a core's synapse memory, more readout neurons than the "
        "readout population (Xylo: the neurons that feed an Output), more layers than cores where each "
        "layer takes a core (Speck), or a greedy placement that runs out of cores. The message names the "
        "layer and both numbers.",
        "Narrow or remove layers, thin the weights, feed the Outputs from fewer neurons, or choose a larger "
        "target. snnir.targets.estimate(graph, NAME).table() shows what each node needs.",
        'Input(16) -> Linear -> LIF(id="h", shape=(2048,)) on target="xylo"   # xylo holds 1000 neurons',
        stage="target",
    ),
    Code(
        "target-fan-in", "error", "a neuron receives more synapses than the target allows",
        "The fan-in of a neuron is the number of synapses that reach it: the non-zero entries of its row "
        "of the Linear before it, a convolution's C_in x kernel window. The message gives the largest and "
        "how many neurons of the layer are over the limit.",
        "Make the incoming weights sparser (a Linear mask, pruning) or the layer before narrower.",
        stage="target",
    ),
    Code(
        "target-fan-out", "error", "a neuron's spikes reach more synapses, or a layer more layers, than allowed",
        "The fan-out of a neuron is the number of synapses its spikes reach (the non-zero entries of its "
        "column of the Linear after it; C_out x kernel for a convolution). Some chips also limit how many "
        "layers one layer sends to (Speck: 2).",
        "Make the outgoing weights sparser or the next layers narrower; merge branches so that a layer "
        "feeds fewer layers.",
        stage="target",
    ),
    Code(
        "target-quantization", "warning", "float weights on a chip that stores integer weights",
        "The chip stores weights as integers of a few bits (profile.weights), and this node's weights are "
        "floats without a quantization (node.quant) that says how they are stored, and not already whole "
        "numbers within the range: they will need scaling and rounding before they run there, so the chip's "
        "numbers will differ from the graph's. A warning: verify returns it.",
        "Quantize the graph for the chip, snnir.quantize(graph, target=NAME), and fine-tune it with the "
        "quantization in place (snnir.train.fit trains through it) if the accuracy drops.",
        stage="target",
    ),
    Code(
        "target-format", "error", "a quantization the target's number formats cannot hold",
        "A node.quant entry records more bits than the chip stores for that value (16-bit weights on an "
        "8-bit chip; a threshold, bias or membrane wider than the neuron format of profile.neurons), a "
        "signed value where the chip's format is unsigned, or a decay form the chip does not use (a "
        "bit-shift decay where the format is a linear fraction, or the reverse).",
        "Quantize for this target, snnir.quantize(graph, target=NAME), which reads the formats from the "
        "profile; or choose a target whose formats hold the graph's.",
        'snnir.verify(snnir.quantize(g, bits=16), target="xylo")   # xylo stores 8-bit weights',
        stage="target",
    ),
    Code(
        "target-delay", "error", "an edge or Delay node delays longer than the target allows",
        "profile.max_delay is the longest synaptic delay in steps (0: none). Edge delays and Delay nodes' "
        "steps count; a feedback mark does not (a recurrent connection reads the previous step anyway).",
        "Shorten the delay; on a chip without delays, mark a recurrent edge feedback=True instead of "
        "giving it delay=1.",
        stage="target",
    ),
    Code(
        "target-recurrence", "error", "a cycle on a chip that runs feed-forward networks only",
        "The target (e.g. Speck) chains its layers forward; a strongly connected component of the graph "
        "cannot be placed. The diagnostic names the cycle's nodes and edges.",
        "Remove the recurrent edges, or choose a target with recurrence (Xylo, Loihi 2, SpiNNaker 2).",
        stage="target",
    ),
    Code(
        "target-conv", "error", "a convolution the target cannot run",
        "The chip runs no convolutions, or not of this dimension, or this kernel size, stride, padding, "
        "channel count, grouping, input or output size is over its limits (profile.conv). One diagnostic "
        "per problem.",
        "Change the convolution as the hint says (a smaller kernel, an allowed stride, pooling before it), "
        "replace it by a Linear over the flattened input, or choose another target.",
        stage="target",
    ),
    Code(
        "target-io", "error", "the graph's inputs or outputs are wider than the target's channels",
        "profile.max_inputs and profile.max_outputs count the values per step of all Input and all Output "
        "nodes (Xylo Audio: 16 input channels, 8 outputs).",
        "Encode the data into fewer input channels, or read out fewer classes.",
        stage="target",
    ),
    Code(
        "invalid-ir", "error", "a node, edge or graph field is invalid on its own",
        "Building a node, an edge or a Graph checks each field by itself: id characters (letters, digits, "
        "_ . - and / between the parts of a composite id), types, finite parameters, non-negative delays, "
        "no unknown fields, a registered kind for nodes given as dicts (as in model files). The error "
        "(snnir.InvalidIRError) names the node by id, an edge by its ends, and the field; an unknown field "
        "or kind comes with the closest known name.",
        "Revise the named fields. help() on a node's class (e.g. help(snnir.LIF)) documents its fields and "
        "equations; snnir.node_kinds() lists the registered kinds; register your own kinds with "
        "snnir.register_kind before building or loading graphs that use them.",
        'LIF(id="a", shape=(3,), decay=0.9, treshold=1.0)   # did you mean \'threshold\'?',
        stage="construction",
    ),
    Code(
        "unreadable-file", "error", "a model file cannot be read",
        "The file is missing, truncated, not a snnir model, of an unsupported schema version, over the load "
        "limits, or holds an invalid graph. The message names the file and what is wrong.",
        "Fix or regenerate the file; for custom layers, pass the module that registers them with "
        "'snnir --import MODULE'.",
        stage="file",
    ),
)

#: code -> catalogue entry, in catalogue order
CODES: Mapping[str, Code] = MappingProxyType({c.code: c for c in _ENTRIES})


def explain(code: str) -> str:
    """What ``code`` means, an example, and how to fix it (the text ``snnir explain CODE`` prints).

    Raises :class:`UnknownCodeError` (a ``SnnirError`` and ``ValueError``) for a code not in the catalogue,
    naming the closest codes."""
    entry = CODES.get(code.strip().lower()) if isinstance(code, str) else None
    if entry is None:
        guess = did_you_mean(str(code), CODES)
        raise UnknownCodeError(f"unknown diagnostic code {code!r}; "
                               + (guess or f"known codes: {', '.join(CODES)}")
                               + "\n  hint: 'snnir explain' without a code lists every code with its title")
    return entry.text()


__all__ = ["CODES", "Code", "UnknownCodeError", "explain"]
