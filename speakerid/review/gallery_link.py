"""Which gallery a dataset was labelled with, remembered on the dataset itself.

The App's forms and the Speakers panel open this gallery, and naming a cluster enrolls into it.
A ``.sid`` file is recorded by its absolute path; a ``<person>/<images>`` folder (``speakerid
annotate --gallery FOLDER``) is saved as a ``.sid`` in speakerid's cache first, so the App shows
the same people, thumbnails included, without enrolling the folder again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from speakerid.cache import cache_dir
from speakerid.identity.gallery import Gallery

GALLERY_KEY = "speakerid_gallery"  # dataset.info: the .sid file
SOURCE_KEY = "speakerid_gallery_source"  # dataset.info: the folder it was enrolled from, if any
GALLERY_ENV = "SPEAKERID_GALLERY"


def remember_gallery(dataset: Any, gallery: Gallery | None, source: str | Path) -> Path:
    """Record the gallery ``source`` (a ``.sid`` file, or a folder enrolled as ``gallery``) on
    ``dataset``; returns the ``.sid`` path recorded."""
    src = Path(source).expanduser().resolve()
    if src.is_dir():
        if gallery is None:
            raise ValueError(f"{src}: a folder gallery needs its enrolled Gallery to be saved")
        safe = re.sub(r"[^\w.-]+", "_", dataset.name)
        path = cache_dir("galleries") / f"{safe}-{gallery.fingerprint()}.sid"
        if not path.is_file():
            gallery.save(path)
        info = {GALLERY_KEY: str(path), SOURCE_KEY: str(src)}
    else:
        path, info = src, {GALLERY_KEY: str(src), SOURCE_KEY: None}
    if any(dataset.info.get(k) != v for k, v in info.items()):
        dataset.info.update(info)
        dataset.save()
    return path


def dataset_gallery(dataset: Any) -> str:
    """The ``.sid`` last used on ``dataset``, else ``$SPEAKERID_GALLERY``, else ''."""
    stored = (dataset.info or {}).get(GALLERY_KEY) if dataset is not None else None
    return stored or os.environ.get(GALLERY_ENV, "")


def thumbnail_files(gallery: Gallery) -> dict[str, Path]:
    """JPEGs of the gallery's thumbnails in speakerid's cache (the App shows them via ``/media``)."""
    import hashlib
    import io

    from PIL import Image

    from speakerid.cache import atomic_write_bytes

    out = {}
    for name, image in gallery.thumbnails.items():
        key = hashlib.sha1(image.tobytes() + name.encode()).hexdigest()[:20]
        path = cache_dir("thumbnails") / f"{key}.jpg"
        if not path.is_file():
            buf = io.BytesIO()
            Image.fromarray(image).save(buf, format="JPEG", quality=90)
            atomic_write_bytes(path, buf.getvalue())
        out[name] = path
    return out
