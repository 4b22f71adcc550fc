"""``trilateral.tables``: tables that fit the notebook, sources listed below."""

from __future__ import annotations

import pandas as pd
import pytest

from trilateral import data, tables


def test_source_columns_become_a_numbered_list_below_the_table() -> None:
    controls = data.load("export_control_goods")
    shown = tables.fit(controls, caption="Imports", sources=["source_publisher", "source_url"])
    assert "source_url" not in shown.frame.columns and "source_publisher" not in shown.frame
    pairs = list(dict.fromkeys(zip(controls["source_publisher"], controls["source_url"],
                                   strict=True)))
    assert shown.sources == pairs
    # Each row keeps the number of its source.
    for note, publisher in zip(shown.frame["source"], controls["source_publisher"], strict=True):
        assert shown.sources[int(note.strip("[]")) - 1][0] == publisher
    page = shown._repr_html_()
    for _publisher, url in pairs:
        assert f'href="{url}"' in page
    assert page.count("<li ") == len(pairs)


def test_the_table_is_a_labelled_region_a_keyboard_can_reach() -> None:
    frame = pd.DataFrame({"long_column_name": ["a" * 90]})
    page = tables.fit(frame, caption="A <test>")._repr_html_()
    assert page.startswith('<div class="trilateral-table" role="region" tabindex="0" '
                           'aria-label="A &lt;test&gt;"')
    assert ">A &lt;test&gt;</caption>" in page and "<caption style=\"color:inherit;" in page
    assert "long_<wbr>column_<wbr>name" in page  # long names can break
    assert "white-space:normal" in page and "overflow-wrap:break-word" in page
    codes = tables.fit(pd.DataFrame({"members": ["AUS;JPN;USA"]}), caption="c")._repr_html_()
    assert "AUS;<wbr>JPN;<wbr>USA" in codes  # code lists wrap between codes


def test_text_output_keeps_every_value() -> None:
    frame = pd.DataFrame({"good": ["x", "y"], "value": [1, None]})
    text = repr(tables.fit(frame, caption="Two goods"))
    assert text.splitlines()[0] == "Two goods" and "x" in text and "y" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"caption": " "}, "needs a caption"),
        ({"caption": "c", "sources": ["nope"]}, "no column 'nope'"),
        ({"caption": "c", "sources": ["good", "value", "good"]}, "publisher column"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tables.fit(pd.DataFrame({"good": ["x"], "value": [1]}), **kwargs)
