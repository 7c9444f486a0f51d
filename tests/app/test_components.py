"""The component choice: request fields, required models, provider choices, error parsing, provider switch."""

from __future__ import annotations

from faceswap_desktop.app.components import (
    ComponentChoice,
    choice_from_mapping,
    missing_model_id,
    provider_choices,
)
from faceswap_desktop.app.context import AppContext
from faceswap_desktop.app.models import ModelServices
from faceswap_desktop.core.errors import ModelIntegrityError, ModelMissing
from faceswap_desktop.inference.store import missing_message


def test_request_fields_and_required_models() -> None:
    choice = ComponentChoice(engine="inswapper", judge="arcface", restorer="gfpgan", restorer_amount=55)
    fields = choice.request_fields()
    assert fields["restorer_amount"] == 0.55 and fields["engine"] == "inswapper"
    assert choice.required_models() == ["inswapper_128", "w600k_r50", "gfpgan_1.4"]
    assert ComponentChoice().required_models() == []
    simswap = ComponentChoice(engine="simswap", judge="arcface")
    assert simswap.required_models() == ["simswap_512_unoff", "simswap_arcface_model", "w600k_r50"]
    assert choice.replace(restorer_amount=250).restorer_amount == 100


def test_choice_from_mapping_is_lenient() -> None:
    assert choice_from_mapping(None) == ComponentChoice()
    assert choice_from_mapping({"judge": None, "provider": "cpu"}) == ComponentChoice(
        judge=None, provider="cpu"
    )
    assert choice_from_mapping({"engine": "", "restorer_amount": True}) == ComponentChoice()


def test_provider_choices_follow_the_runtime() -> None:
    assert provider_choices(["CPUExecutionProvider"]) == ["auto", "cpu"]
    offered = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert provider_choices(offered) == ["auto", "cpu", "cuda"]
    assert provider_choices(["DmlExecutionProvider", "CPUExecutionProvider"]) == ["auto", "cpu", "dml"]


def test_missing_model_id_reads_the_store_messages() -> None:
    assert missing_model_id(ModelMissing(missing_message("w600k_r50"))) == "w600k_r50"
    assert missing_model_id(ModelIntegrityError("model 'gfpgan_1.4' failed sha256")) == "gfpgan_1.4"
    assert missing_model_id(ModelMissing("set FACESWAP_MOBILEFACENET to its path")) is None


def test_use_provider_rebuilds_sessions_and_components() -> None:
    context = AppContext(models=ModelServices("auto"))
    created: list[int] = []
    context.swappers.register("toy", lambda: created.append(1) or object())  # type: ignore[func-returns-value]
    first = context.swapper("toy")
    sessions = context.models.sessions  # type: ignore[attr-defined]
    assert context.swapper("toy") is first
    assert not context.use_provider("AUTO")  # same setting: nothing dropped
    assert context.use_provider("cpu")
    assert context.models.sessions is not sessions  # type: ignore[attr-defined]
    assert context.models.sessions.provider == "CPUExecutionProvider"  # type: ignore[attr-defined]
    assert context.swapper("toy") is not first and len(created) == 2
