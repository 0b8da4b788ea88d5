"""Download and archive helpers for the datasets (see torchvision.datasets.utils): md5 checks,
download with urllib (with a tqdm bar when tqdm is installed), and extraction of tar/zip/gz.

Offline, a download fails with a RuntimeError that names the URL and the path where a copy of the
file can be put by hand.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import pathlib
import tarfile
import urllib.error
import urllib.request
import zipfile
from zlib import error as zlibError

USER_AGENT = "pytorch/vision"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    """The file's md5 hex digest, read in 1 MiB chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """True if the file exists and (when md5 is given) has that md5."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _progress(total):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True)


def _urlretrieve(url, filename, chunk_size=1024 * 32):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=60) as response:
        bar = _progress(response.length)
        try:
            with open(filename, "wb") as fh:
                while chunk := response.read(chunk_size):
                    fh.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Download `url` to root/filename unless a file with the right md5 is already there."""
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        print("Using downloaded and verified file: " + fpath)
        return
    print("Downloading " + url + " to " + fpath)
    try:
        _urlretrieve(url, fpath + ".part")
    except (urllib.error.URLError, OSError) as e:
        if os.path.exists(fpath + ".part"):
            os.remove(fpath + ".part")
        raise RuntimeError(
            f"Could not download {url} ({e}). Without network access, download the file on "
            f"another machine and put it at {os.path.abspath(fpath)}"
            + (f" (md5 {md5})" if md5 else "") + ", then run again.") from e
    os.replace(fpath + ".part", fpath)
    if not check_integrity(fpath, md5):
        raise RuntimeError("File not found or corrupted.")


def list_dir(root, prefix=False):
    root = os.path.expanduser(root)
    dirs = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, d) for d in dirs] if prefix else dirs


def list_files(root, suffix, prefix=False):
    root = os.path.expanduser(root)
    files = [p for p in os.listdir(root)
             if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, f) for f in files] if prefix else files


def _extract_tar(from_path, to_path, compression):
    mode = f"r:{compression[1:]}" if compression else "r"
    try:
        with tarfile.open(from_path, mode) as tar:
            if hasattr(tarfile, "data_filter"):
                # refuse members that would escape to_path (absolute paths, "..", devices)
                tar.extractall(to_path, filter="data")
            else:
                tar.extractall(to_path)
    except (tarfile.TarError, EOFError, OSError, zlibError) as e:
        raise RuntimeError(f"Could not extract {from_path}: the archive is corrupted or "
                           f"truncated ({type(e).__name__}: {e})") from e


def _extract_zip(from_path, to_path, compression):
    try:
        with zipfile.ZipFile(from_path, "r") as z:
            z.extractall(to_path)
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise RuntimeError(f"Could not extract {from_path}: the archive is corrupted or "
                           f"truncated ({type(e).__name__}: {e})") from e


_ARCHIVE_EXTRACTORS = {".tar": _extract_tar, ".zip": _extract_zip}
_COMPRESSED_FILE_OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
_FILE_TYPE_ALIASES = {".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2"),
                      ".tgz": (".tar", ".gz")}


def _detect_file_type(file):
    """(suffix, archive type, compression) from the file name, e.g. ('.tar.gz', '.tar', '.gz')."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the "
                           "archive type and compression.")
    suffix = suffixes[-1]
    if suffix in _FILE_TYPE_ALIASES:
        return (suffix, *_FILE_TYPE_ALIASES[suffix])
    if suffix in _ARCHIVE_EXTRACTORS:
        return suffix, suffix, None
    if suffix in _COMPRESSED_FILE_OPENERS:
        if len(suffixes) > 1 and suffixes[-2] in _ARCHIVE_EXTRACTORS:
            return suffixes[-2] + suffix, suffixes[-2], suffix
        return suffix, None, suffix
    valid = sorted(set(_FILE_TYPE_ALIASES) | set(_ARCHIVE_EXTRACTORS) | set(_COMPRESSED_FILE_OPENERS))
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\nKnown suffixes are: "
                       f"'{valid}'.")


def _decompress(from_path, to_path=None, remove_finished=False):
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not compression:
        raise RuntimeError(f"Couldn't detect a compression from suffix {suffix}.")
    if to_path is None:
        to_path = pathlib.Path(os.fspath(from_path).replace(suffix, archive_type or ""))
    try:
        with _COMPRESSED_FILE_OPENERS[compression](from_path, "rb") as rfh:
            payload = rfh.read()
    except (EOFError, OSError, zlibError, lzma.LZMAError) as e:
        raise RuntimeError(f"Could not decompress {from_path}: the file is corrupted or "
                           f"truncated ({type(e).__name__}: {e})") from e
    with open(to_path, "wb") as wfh:
        wfh.write(payload)
    if remove_finished:
        os.remove(from_path)
    return pathlib.Path(to_path)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a tar/zip archive or decompress a .gz/.bz2/.xz file next to it (or into
    to_path); returns where it went."""
    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not archive_type:
        out = _decompress(from_path, os.path.join(to_path, os.path.basename(from_path)
                                                  .replace(suffix, "")), remove_finished)
        return os.fspath(out) if isinstance(from_path, str) else out
    _ARCHIVE_EXTRACTORS[archive_type](from_path, to_path, compression)
    if remove_finished:
        os.remove(from_path)
    return os.fspath(to_path) if isinstance(from_path, str) else pathlib.Path(to_path)


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None,
                                 remove_finished=False):
    """download_url, then extract_archive (printing what is extracted where)."""
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    print(f"Extracting {archive} to {extract_root}")
    extract_archive(archive, extract_root, remove_finished)


def iterable_to_str(iterable):
    return "'" + "', '".join(str(item) for item in iterable) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    """Check that `value` is a str among `valid_values` (torchvision's messages)."""
    if not isinstance(value, str):
        msg = ("Expected type str, but got type {type}." if arg is None else
               "Expected type str for argument {arg}, but got type {type}.")
        raise ValueError(msg.format(type=type(value), arg=arg))
    if valid_values is None:
        return value
    if value not in valid_values:
        msg = custom_msg if custom_msg is not None else (
            f"Unknown value '{value}' for argument {arg}. Valid values are "
            f"{{{iterable_to_str(valid_values)}}}.")
        raise ValueError(msg)
    return value
