"""torch.hub for ember: the checkpoint cache (`get_dir`, `set_dir`, `load_state_dict_from_url`,
`download_url_to_file`) with torch's layout -- `$TORCH_HOME/hub/checkpoints/<file name of the
url>`, TORCH_HOME defaulting to `$XDG_CACHE_HOME/torch` or `~/.cache/torch` -- read through
ember.load. A cached file is used as it is; a missing one is downloaded as torch does, and where
there is no network the error names the file to put in the cache. Hub repos (`load`, `list`,
`help`) need to import a repository's hubconf.py from GitHub and are not implemented.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
import zipfile
from typing import Any, Optional
from urllib.error import URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]

# "<name>-<sha256 prefix>.<ext>": the convention check_hash relies on
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
READ_DATA_CHUNK = 128 * 1024

_hub_dir: Optional[str] = None


class DownloadError(URLError):
    """A checkpoint that could not be fetched (no network): still the URLError torch raises,
    with a message naming the cache file that would make the call work."""

    def __str__(self):
        return str(self.reason)


def _get_torch_home() -> str:
    return os.path.expanduser(os.getenv(
        ENV_TORCH_HOME, os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")))


def get_dir() -> str:
    """The hub cache directory: set_dir's, else `$TORCH_HOME/hub`; see torch.hub.get_dir."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d) -> None:
    """Use `d` as the hub cache directory; see torch.hub.set_dir."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


class _Progress:
    """tqdm when installed (as torch.hub), else a silent counter."""

    def __init__(self, total, disable):
        try:
            from tqdm import tqdm
            self._bar = tqdm(total=total, disable=disable, unit="B", unit_scale=True,
                             unit_divisor=1024)
        except ImportError:
            self._bar = None

    def update(self, n):
        if self._bar is not None:
            self._bar.update(n)

    def close(self):
        if self._bar is not None:
            self._bar.close()


def download_url_to_file(url: str, dst: str, hash_prefix: Optional[str] = None,
                         progress: bool = True) -> None:
    """Download `url` to the path `dst` through a temporary `.partial` file, checking that the
    content's SHA256 starts with `hash_prefix` when given; see torch.hub.download_url_to_file."""
    dst = os.path.expanduser(dst)
    # a temporary name next to dst, so a broken download never replaces a good file
    for _ in range(tempfile.TMP_MAX):
        tmp_dst = dst + "." + uuid.uuid4().hex + ".partial"
        try:
            f = open(tmp_dst, "x+b")
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    req = Request(url, headers={"User-Agent": "torch.hub"})
    try:
        with urlopen(req) as u:
            lengths = u.info().get_all("Content-Length")
            file_size = int(lengths[0]) if lengths else None
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            bar = _Progress(file_size, not progress)
            try:
                while True:
                    buffer = u.read(READ_DATA_CHUNK)
                    if len(buffer) == 0:
                        break
                    f.write(buffer)
                    if sha256 is not None:
                        sha256.update(buffer)
                    bar.update(len(buffer))
            finally:
                bar.close()
            f.close()
            if sha256 is not None:
                digest = sha256.hexdigest()
                if digest[:len(hash_prefix)] != hash_prefix:
                    raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                       f'"{digest}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def _is_legacy_zip_format(filename: str) -> bool:
    # checkpoints zipped by hand around one pre-1.6 torch.save file
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as zf:
            infolist = zf.infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    from .serialization import load
    warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in "
                  "favor of default zipfile format introduced in 1.6. Please redo torch.save() "
                  "to save it in the new zipfile format.", FutureWarning, stacklevel=3)
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        target = os.path.realpath(model_dir)
        name = members[0].filename
        dest = os.path.realpath(os.path.join(target, name))
        if os.path.isabs(name) or not dest.startswith(target + os.sep):
            raise ValueError(f"Archive entry has absolute path: {name}")
        f.extract(members[0], model_dir)
    return load(dest, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url: str, model_dir: Optional[str] = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: Optional[str] = None,
                             weights_only: bool = False) -> dict[str, Any]:
    """The object saved at `url`, read from `<model_dir or get_dir()/checkpoints>/<file name>`;
    a missing file is downloaded first (check_hash: its SHA256 must start with the hex digits
    after the last '-' of the file name). See torch.hub.load_state_dict_from_url."""
    from .serialization import load
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = os.path.basename(urlparse(url).path)
    if file_name is not None:
        filename = file_name
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        try:
            download_url_to_file(url, cached_file, hash_prefix, progress=progress)
        except (URLError, ConnectionError, TimeoutError) as err:
            # no network here: say which file, from where, would make this work
            raise DownloadError(
                f"ember.hub: could not download {url} ({getattr(err, 'reason', err)}). Without "
                f"network access, put the file there yourself: {cached_file} (the cache "
                "directory is $TORCH_HOME/hub/checkpoints, TORCH_HOME defaulting to "
                "~/.cache/torch).") from err
    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    return load(cached_file, map_location=map_location, weights_only=weights_only)


def _no_repos(what: str):
    raise NotImplementedError(
        f"ember.hub.{what}: loading models from hub repositories (hubconf.py fetched from GitHub "
        "or a local directory) is not implemented. For torchvision's models use "
        "ember.vision.models (e.g. ember.vision.models.resnet18(weights='DEFAULT')), or build "
        "the model yourself and read its checkpoint with ember.hub.load_state_dict_from_url.")


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """Not implemented: hub repositories need their hubconf.py (see torch.hub.load)."""
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    _no_repos("load")


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True):
    """Not implemented (see torch.hub.list)."""
    _no_repos("list")


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):
    """Not implemented (see torch.hub.help)."""
    _no_repos("help")
