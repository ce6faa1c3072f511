"""Charts on a page, each built once per result rather than on every script run.

A library chart (``analytics.report.charts``) is an Altair object. Turning one into what the browser gets
means building it (Altair hashes each layer's data by printing the frame), validating it against the
Vega-Lite schema and serialising its data to Arrow: most of a warm page run's CPU. The results a
page charts are shared objects (``analytics.ui.cached`` keeps them as resources), so the finished
spec is kept beside each result and sent again as it is, for every session, until the result goes.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

# Streamlit's own conversion, so the kept spec is exactly what st.altair_chart would send (the
# theme, and the data as Arrow). tests/test_app.py checks that it is still there.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

Spec = dict[str, Any]
#: A chart builder of ``analytics.report.charts``: a result (and options) in, an Altair chart out.
Builder = Callable[..., Any]

_SPECS: dict[Hashable, Spec] = {}
_LOCK = threading.Lock()


def chart(
    build: Builder,
    data: Any,
    /,
    *,
    place: DeltaGenerator | None = None,
    width: Literal["stretch", "content"] | int = "stretch",
    **options: Any,
) -> None:
    """Draw ``build(data, **options)`` (in ``place``, a column say, else where the page is), keeping
    its spec while ``data`` lives.

    ``data`` is the result the chart shows; ``options`` are the builder's keyword arguments (titles,
    column names, numbers). Where an option cannot be hashed, the chart is built every time.
    """
    (place or st).vega_lite_chart(spec=_spec(build, data, options), width=width)


def _spec(build: Builder, data: Any, options: dict[str, Any]) -> Spec:
    key = (build.__module__, build.__qualname__, id(data), tuple(sorted(options.items())))
    try:
        hash(key)
    except TypeError:  # an option that cannot be a key: build every time
        return _convert_altair_to_vega_lite_spec(build(data, **options))
    with _LOCK:
        kept = _SPECS.get(key)
    if kept is None:
        kept = _convert_altair_to_vega_lite_spec(build(data, **options))
        try:
            # Forget the spec with the result: an id can be reused once its object is gone.
            weakref.finalize(data, _SPECS.pop, key, None)
        except TypeError:  # an object that cannot be weakly referred to: build every time
            return kept
        with _LOCK:
            _SPECS[key] = kept
    # Streamlit pops the datasets from the spec it is given, and copies the rest before changing it.
    return {**kept, **({"datasets": dict(kept["datasets"])} if "datasets" in kept else {})}
