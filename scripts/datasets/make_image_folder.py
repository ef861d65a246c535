#!/usr/bin/env python3
"""Writes Fashion-MNIST (Debian's dataset-fashion-mnist IDX files) as an image-folder dataset in the ImageNet layout:
OUT/train/<class>/<index>.jpg and OUT/test/<class>/<index>.jpg, RGB JPEG files resized to --size (bicubic), and
OUT/labels.txt mapping each folder name to the dataset's label (folder names cannot hold "T-shirt/top"'s slash).
Deterministic for given arguments. Usage:

  make_image_folder.py OUT [--size 224] [--train N] [--test N] [--quality 90] [--format jpg|png] [--gray]

--train/--test take the first N images of each split (default: all 60,000 / 10,000). --gray writes 1-channel files.
"""
import argparse
import gzip
import os

import numpy as np
from PIL import Image

IDX = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FOLDERS = ["tshirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read(prefix):
    with gzip.open(os.path.join(IDX, f"{prefix}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(IDX, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return images, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--train", type=int, default=None)
    ap.add_argument("--test", type=int, default=None)
    ap.add_argument("--quality", type=int, default=90)
    ap.add_argument("--format", choices=["jpg", "png"], default="jpg")
    ap.add_argument("--gray", action="store_true")
    a = ap.parse_args()
    for split, prefix, count in [("train", "train", a.train), ("test", "t10k", a.test)]:
        images, labels = read(prefix)
        n = len(images) if count is None else min(count, len(images))
        for folder in FOLDERS:
            os.makedirs(os.path.join(a.out, split, folder), exist_ok=True)
        for i in range(n):
            img = Image.fromarray(images[i], mode="L")
            if a.size != 28:
                img = img.resize((a.size, a.size), Image.BICUBIC)
            if not a.gray:
                img = img.convert("RGB")
            path = os.path.join(a.out, split, FOLDERS[labels[i]], f"{i:05d}.{a.format}")
            tmp = path + ".tmp"
            if a.format == "jpg":
                img.save(tmp, format="JPEG", quality=a.quality)
            else:
                img.save(tmp, format="PNG")
            os.replace(tmp, path)
        print(f"{split}: {n} images of {a.size}x{a.size} in {os.path.join(a.out, split)}")
    with open(os.path.join(a.out, "labels.txt"), "w") as f:
        f.write("# folder=label (Fashion-MNIST's class names)\n")
        for folder, label in zip(FOLDERS, LABELS):
            f.write(f"{folder}={label}\n")


if __name__ == "__main__":
    main()
