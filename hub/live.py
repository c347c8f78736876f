"""The running sale as the front doors read it, over the sequencer: its ids and snapshots
(`hub.ports.SaleView`) and its results (`hub.ports.Results`)."""

from __future__ import annotations

from typing import Any

from hub.backend.results import ResultRow, result_rows, results_csv
from hub.config import StageConfig
from hub.journal.sequencer import Sequencer

JSON = dict[str, Any]


class LiveSale:
    """Ids and snapshots of the sequencer's sale. Read on the stage loop only."""

    def __init__(self, sequencer: Sequencer, config: StageConfig) -> None:
        self.sequencer = sequencer
        self.config = config

    @property
    def sale_id(self) -> str:
        # Before the journal is loaded the configured sale is the best answer.
        return self.sequencer.engine.sale.id or self.config.sale

    @property
    def sale_iri(self) -> str:
        return self.config.sale_iri(self.sale_id)

    @property
    def title(self) -> str:
        return str(self.sequencer.engine.sale.title)

    @property
    def epoch(self) -> int:
        return self.sequencer.epoch

    def snapshot(self, staff: bool = False) -> JSON:
        snap: JSON = self.sequencer.engine.snapshot(staff=staff)
        snap["epoch"] = self.sequencer.epoch
        sale = snap.get("sale")
        if isinstance(sale, dict) and sale.get("status") == "closed":
            # A closed sale's journal is sealed: its head hash is the seal (the engine cannot
            # know its own hashes; the sequencer does).
            sale["head"] = self.sequencer.head
        return snap

    @property
    def head(self) -> str:
        """The journal's head hash (the seal, once the sale is closed)."""
        return self.sequencer.head

    def bidder_view(self, paddle: str) -> JSON | None:
        return self.sequencer.engine.bidder_view(paddle)


class SaleResults:
    """The sale's results so far, lot by lot, from the live engine (what is committed)."""

    def __init__(self, sequencer: Sequencer) -> None:
        self.sequencer = sequencer

    def rows(self) -> list[ResultRow]:
        engine = self.sequencer.engine
        lots = [view for lot_id in engine.lots if (view := engine.staff_lot(lot_id)) is not None]
        return result_rows(lots, engine.sale.settings.currency)

    def csv(self) -> str:
        return results_csv(self.rows())
