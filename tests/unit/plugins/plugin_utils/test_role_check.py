"""The role's settings, checked once on the controller: lists of choices (states, report formats)."""

from __future__ import annotations

import pytest
from ansible_collections.multipoint.wms.plugins.plugin_utils._options import OptionError
from ansible_collections.multipoint.wms.plugins.plugin_utils._role_check import check_settings


@pytest.mark.parametrize(("setting", "value", "says"), [
    ("end_of_day_states", [], "end_of_day_states: the list is empty; name at least one of Active"),
    ("end_of_day_states", ["Active", "Bogus"], "end_of_day_states: got the string 'Bogus'; accepted: Active"),
    ("end_of_day_states", "Active", "end_of_day_states: got the string 'Active'; give a list"),
    ("end_of_day_report_formats", [], "end_of_day_report_formats: the list is empty; name at least one of json, "
                                      "markdown"),
    ("end_of_day_report_formats", ["pdf"], "end_of_day_report_formats: got the string 'pdf'; accepted: json, markdown"),
])
def test_lists_of_choices_are_refused_with_what_is_accepted(tmp_path, setting, value, says):
    with pytest.raises(OptionError) as raised:
        check_settings({setting: value, "end_of_day_report_dir": str(tmp_path)}, str(tmp_path))
    assert str(raised.value).startswith(says), str(raised.value)


def test_lists_of_choices_keep_their_order(tmp_path):
    checked = check_settings({"end_of_day_states": ["Idle", "Active"], "end_of_day_report_formats": ["markdown"],
                              "end_of_day_report_dir": str(tmp_path)}, str(tmp_path))
    assert checked["states"] == ["Idle", "Active"] and checked["report_formats"] == ["markdown"]
