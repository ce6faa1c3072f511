"""``iconic analyze segments``: behavioural segments of customers, profiled and optionally saved."""

from __future__ import annotations

import argparse
import math
from typing import Any

from analytics.cli.options import Commands, command
from analytics.cli.output import EXIT_OK, EXIT_USAGE, err, print_json, progress, records
from analytics.cli.scope import open_scope, scope_dict


def register(analyses: Commands) -> None:
    with command(analyses, "segments", _analyze_segments, scope=True) as p:
        p.add_argument(
            "--method", choices=["kmeans", "gmm"], default="kmeans", help="k-means (default) or a Gaussian mixture"
        )
        p.add_argument(
            "--k", type=int, metavar="K", help="fixed number of segments (default: silhouette for kmeans, BIC for gmm)"
        )
        p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
        p.add_argument("--save", action="store_true", help="save the assignments to the warehouse")


def _analyze_segments(args: argparse.Namespace) -> int:
    """cluster customers into behavioural segments and profile them

    Clusters customers on how they get in touch (voice, chat, email and web shares, contacts per month) and what
    they are worth (revenue), then profiles each segment's NPS from those who answered. --method kmeans picks k by
    silhouette over 3-7, --method gmm (a Gaussian mixture with soft memberships) by BIC, unless --k is given.
    Reports silhouette and bootstrap stability. --save stores the assignments so `analyze advocacy --by
    behaviour_segment` and the dashboard can use them.
    """
    from analytics.analyses import segmentation
    from analytics.report import views

    if args.k is not None and args.k < 2:
        err("error: --k must be at least 2")
        return EXIT_USAGE
    wh, scope = open_scope(args)
    say = None if args.json else progress()
    if say:
        say(f"building customer features ({scope.describe()})")
    features = segmentation.customer_features(wh, scope)
    if say:
        say(f"clustering {len(features):,} customers")
    try:
        seg = segmentation.segment_customers(features, method=args.method, k=args.k, random_state=args.seed)
    except ValueError as exc:
        err(f"error: {exc}")
        return EXIT_USAGE
    if seg.is_empty:
        if args.save:
            err(f"error: nothing saved: {seg.note}")
            return EXIT_USAGE
        if args.json:
            empty: dict[str, Any] = {
                "scope": scope_dict(scope),
                "method": seg.method,
                "k": 0,
                "segments": [],
                "note": seg.note,
            }
            print_json(empty)
        else:
            print(seg.note)
        return EXIT_OK
    version = segmentation.save_assignments(wh, seg) if args.save else None
    columns = ["segment", "customers", "share", "revenue_share", "nps", "nps_low", "nps_high", "nps_n", "nps_diff"]
    columns += [*segmentation.DESCRIBED, "membership", "named_for"]
    if args.json:
        out = {
            "scope": scope_dict(scope),
            "method": seg.method,
            "k": seg.k,
            "silhouette": seg.silhouette,
            "silhouette_by_k": {str(k): v for k, v in seg.silhouette_by_k.items()},
            "bic_by_k": {str(k): v for k, v in seg.bic_by_k.items()},
            "stability": None if math.isnan(seg.stability) else seg.stability,
            "loose": seg.is_loose,
            "structure": seg.structure_note,
            "thin": seg.thin_note,
            "saved_version": version,
            "segments": records(seg.profiles[columns]),
        }
        print_json(out)
        return EXIT_OK
    chosen = "fixed" if args.k else "by BIC" if seg.method == "gmm" else "by silhouette"
    scores = ", ".join(f"k={k}: {v:.3f}" for k, v in seg.silhouette_by_k.items())
    print(f"{seg.k} segments of {len(features):,} customers ({seg.method}, k {chosen}; silhouette {scores})")
    print(seg.structure_note)
    if seg.thin_note:
        print(seg.thin_note)
    print()
    shown = [c for c in views.SEGMENTS if c != "named_for"] + (["membership"] if seg.method == "gmm" else [])
    print(views.text(seg.profiles.rename(columns={"segment": "segment_name"}), shown))
    if version is not None:
        print(f"\nsaved to {segmentation.SEGMENT_TABLE} (version {version}); use --by behaviour_segment")
    return EXIT_OK
