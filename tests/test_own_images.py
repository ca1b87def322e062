"""helpers.own_images: a user's image -> MNIST-style input, step by step, with clear refusals."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from helpers.data import TEST_DIR, read_image
from helpers.errors import CourseError
from helpers.evaluation import predict_one
from helpers.model_files import load_model
from helpers.own_images import STEP_NAMES, image_from_bytes, mnist_steps, to_mnist_input


def paper_photo(digit_u8: np.ndarray, size=(240, 180), offset=(30, 100), scale=5) -> Image.Image:
    """A 'photo' of an MNIST digit: dark ink on light grey paper, enlarged, off-centre, RGB, noisy."""
    rng = np.random.default_rng(0)
    big = np.asarray(Image.fromarray(digit_u8).resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR))
    page = np.full((size[1], size[0]), 225.0) + rng.normal(0, 4, (size[1], size[0]))
    top, left = offset
    region = page[top : top + big.shape[0], left : left + big.shape[1]]
    region -= big[: region.shape[0], : region.shape[1]] * 0.8
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)).convert("RGB")


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / image.sum()), float((cols * image).sum() / image.sum())


def test_steps_follow_the_mnist_recipe():
    digit = read_image(TEST_DIR / "7" / sorted(p.name for p in (TEST_DIR / "7").iterdir())[0])
    steps = mnist_steps(paper_photo(digit))
    assert list(steps) == list(STEP_NAMES)
    assert steps["grayscale"].shape == (180, 240)
    assert steps["inverted"][0, 0] < 0.2  # paper became the black background
    assert max(steps["fitted 20x20"].shape) == 20
    final = steps["centred 28x28"]
    assert final.shape == (28, 28) and 0 <= final.min() and final.max() <= 1
    row, col = centre_of_mass(final)
    assert abs(row - 13.5) <= 1 and abs(col - 13.5) <= 1
    assert final[:2].sum() == 0 and final[:, :2].sum() == 0  # a border, as in MNIST


def test_photographed_digits_are_read_by_a_trained_model(trained_model_file):
    model = load_model(trained_model_file)
    correct = 0
    for digit in range(10):
        first = sorted((TEST_DIR / str(digit)).iterdir())[0]
        x = to_mnist_input(paper_photo(read_image(first), offset=(10 + 3 * digit, 20 + 7 * digit)))
        correct += int(predict_one(model, x).argmax() == digit)
    assert correct >= 8


def ink_on_paper(digit: int) -> Image.Image:
    """The first test image of ``digit`` as a person would draw it: dark ink on white paper, 112x112, grayscale."""
    first = sorted((TEST_DIR / str(digit)).iterdir())[0]
    big = Image.fromarray(read_image(first)).resize((112, 112), Image.Resampling.BILINEAR)
    return ImageOps.invert(big)


def with_orientation(picture: Image.Image, tag: int) -> Image.Image:
    """What a phone stores for ``picture``: the pixels as the sensor saw them, and the EXIF tag that turns them."""
    stored = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}[tag]
    image = picture.transpose(stored).convert("RGB")
    image.info["exif"] = Image.Exif()
    image.info["exif"][0x0112] = tag
    return image


def odd_files(picture: Image.Image, folder, digit: int) -> dict[str, Path]:
    """``picture`` saved the ways phones and apps save a drawing, each file looking the same to a person."""
    ink = 255 - np.asarray(picture)
    strokes = {}
    for name, colour in (("black", (0, 0, 0)), ("blue", (20, 40, 200)), ("white", (255, 255, 255))):
        rgba = np.zeros((*ink.shape, 4), dtype=np.uint8)
        rgba[..., :3], rgba[..., 3] = colour, ink  # the drawing lives in the alpha channel only
        strokes[name] = Image.fromarray(rgba, "RGBA")
    palette = picture.convert("P")  # the gray level is the palette index; white (255) is transparent
    palette.putpalette([level for gray in range(256) for level in (gray, gray, gray)])
    palette.paste(picture)
    saved = {
        "plain.png": (picture, {}),
        "exif-rotated-90.jpg": (with_orientation(picture, 6), {"quality": 95}),
        "exif-rotated-270.jpg": (with_orientation(picture, 8), {"quality": 95}),
        "exif-rotated-180.jpg": (with_orientation(picture, 3), {"quality": 95}),
        "black-strokes-in-alpha.png": (strokes["black"], {}),
        "blue-strokes-in-alpha.png": (strokes["blue"], {}),
        "white-strokes-in-alpha.png": (strokes["white"], {}),
        "gray-with-alpha.png": (Image.merge("LA", [Image.new("L", picture.size, 0), Image.fromarray(ink)]), {}),
        "palette-transparent.png": (palette, {"transparency": 255}),
        "16-bit.png": (Image.fromarray(np.asarray(picture).astype(np.uint16) * 257), {}),
        "cmyk.jpg": (picture.convert("CMYK"), {"quality": 95}),
        "photo.jpg": (picture.convert("RGB"), {"quality": 90}),
        "dim-photo.jpg": (picture.point(lambda v: 15 + v * 0.35).convert("RGB"), {"quality": 90}),
    }
    files = {}
    for name, (image, options) in saved.items():
        files[name] = folder / f"{digit}-{name}"
        image.save(files[name], exif=image.info.get("exif", Image.Exif()), **options)
    return files


@pytest.fixture(scope="module")
def odd_digits(tmp_path_factory):
    """Ten real test digits (0..9), each saved plainly and in every odd way: ``[{name: path}, ...]``."""
    folder = tmp_path_factory.mktemp("odd")
    return [odd_files(ink_on_paper(digit), folder, digit) for digit in range(10)]


def test_odd_files_are_read_as_a_person_sees_them(odd_digits):
    """An EXIF-rotated phone photo, strokes drawn in the alpha channel, a transparent palette, 16 bits, CMYK,
    a dim photo: each gives the model input of the same digit saved plainly."""
    far = []
    for files in odd_digits:
        plain = to_mnist_input(files["plain.png"])
        for path in files.values():
            odd = to_mnist_input(path)
            if np.abs(odd - plain).mean() > 0.01 or np.abs(odd - plain).max() > 0.6:
                far.append(f"{path.name} (mean difference {np.abs(odd - plain).mean():.3f})")
    assert not far, f"read unlike the same digit saved plainly: {far}"


def test_cli_and_upload_read_odd_files_as_the_plain_ones(odd_digits, trained_model_file, capsys):
    from helpers.cli import main
    from helpers.playground import upload_to_steps

    names = list(odd_digits[0])
    paths = [files[name] for files in odd_digits for name in names]
    assert main(["predict", "--model", str(trained_model_file), "--json", *map(str, paths)]) == 0
    digits = np.array([row["digit"] for row in json.loads(capsys.readouterr().out)]).reshape(10, len(names))
    assert (digits == digits[:, :1]).all(), f"odd files read otherwise than plain ones: {digits.tolist()}"
    for path in odd_digits[3].values():
        upload = {"name": path.name, "type": "image/png", "size": path.stat().st_size, "content": path.read_bytes()}
        np.testing.assert_allclose(upload_to_steps(upload)["centred 28x28"], to_mnist_input(path)[..., 0])


def test_a_broken_exif_block_is_refused_by_name(tmp_path, monkeypatch):
    image = ink_on_paper(1)

    def broken(_image):
        raise SyntaxError("not a TIFF file")

    monkeypatch.setattr(ImageOps, "exif_transpose", broken)  # what Pillow raises for a corrupt EXIF block
    with pytest.raises(CourseError, match="unreadable EXIF data.*photo.jpg"):
        mnist_steps(image, name="photo.jpg")


def test_transparent_drawing_uses_its_alpha_channel():
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)
    rgba[20:80, 45:55] = (0, 0, 0, 255)  # a black stroke on a transparent canvas: "1"
    x = to_mnist_input(Image.fromarray(rgba, mode="RGBA"))
    assert x.shape == (28, 28, 1) and x.max() == pytest.approx(1.0) and x[0, 0, 0] == 0


def test_accepts_path_bytes_and_arrays(tmp_path):
    image = Image.new("L", (50, 50), 255)
    image.paste(0, (20, 10, 30, 40))
    image.save(tmp_path / "d.png")
    from_path = to_mnist_input(tmp_path / "d.png")
    from_bytes = to_mnist_input((tmp_path / "d.png").read_bytes())
    from_array = to_mnist_input(np.asarray(image))
    np.testing.assert_allclose(from_path, from_bytes)
    np.testing.assert_allclose(from_path, from_array, atol=1e-6)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty file"),
        (b"GIF89a not really", "not a readable image"),
        (b"%PDF-1.4 hello", "not a readable image"),
        (b"\x00" * (5 * 1024 * 1024 + 1), "file too large"),
    ],
)
def test_bad_uploads_are_refused_by_name(data, message):
    with pytest.raises(CourseError, match=message) as excinfo:
        image_from_bytes(data, name="upload.png")
    assert "upload.png" in str(excinfo.value)


def test_decompression_bomb_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (5000, 5000)).save(buffer, format="PNG")  # tiny file, 25 megapixels
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(CourseError, match="image too large"):
        image_from_bytes(buffer.getvalue(), name="bomb.png")


def test_blank_image_has_no_digit():
    with pytest.raises(CourseError, match="no digit found"):
        mnist_steps(Image.new("L", (40, 40), 255))
