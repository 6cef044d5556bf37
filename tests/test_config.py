"""sotay.toml: one schema, mistakes said in one Vietnamese line, defaults filled in, `init` writes every key,
and the shipped sample runs only on its own."""

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from conftest import csv_text
from sotay_cli.cli import app
from sotay_cli.config import Config, Settings, load_config, validate
from sotay_cli.problems import InputError

runner = CliRunner()
SAMPLE = Path("sample_data").resolve()
ENGLISH = re.compile(r"\b(Input|should|validation|error|type=|Field|required|extra)\b")


def _fail(text: str, tmp_path: Path) -> str:
    path = tmp_path / "sotay.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and not ENGLISH.search(message), message
    return message


@pytest.mark.parametrize("text, said", [
    ('[rules]\nmin_acesses = 2\n', "khóa 'min_acesses' trong [rules] không có; có phải 'min_accesses'?"),
    ('[organisation]\nroott = "X"\n', "khóa 'roott' trong [organisation] không có; có phải 'root'?"),
    ('[inputs]\nmembres = "a.xlsx"\n', "khóa 'membres' trong [inputs] không có; có phải 'members'?"),
    ('[history]\npaht = "h.sqlite"\n', "khóa 'paht' trong [history] không có; có phải 'path'?"),
    ('[histroy]\npath = "h.sqlite"\n', "mục [histroy] không có; có phải [history]?"),
    ('recipent = ["Lưu VP"]\n', "khóa 'recipent' không có; có phải 'recipients'?"),
    ('[targets]\ninstaled_rate = 0.9\n', "khóa 'instaled_rate' trong [targets] không có; có phải 'installed_rate'?"),
    ('[targets.tag.state_agency]\ninstalled_rate = 1\n', "mục [targets.tag] không có; có phải [targets.tags]?"),
    ('[targets.units."Chi bộ A"]\nmeeting_rat = 1\n',
     "khóa 'meeting_rat' trong [targets.units.\"Chi bộ A\"] không có; có phải 'meeting_rate'?"),
])
def test_an_unknown_key_or_section_is_named_with_the_closest_known_one(tmp_path, text, said):
    assert _fail(text, tmp_path) == f"{tmp_path / 'sotay.toml'}: {said}"


@pytest.mark.parametrize("text, said", [
    ('[targets.levels.huyen]\ninstalled_rate = 1\n', "mục [targets.levels.huyen] không có; các mục có: chi_bo, "),
    ('[rules]\nmin_accesses = "một"\n', "[rules] min_accesses phải là số nguyên từ 1 trở lên, không phải 'một'."),
    ('[rules]\nmin_accesses = -5\n', "[rules] min_accesses phải là số nguyên từ 1 trở lên, không phải -5."),
    ('[rules]\nmin_accesses = true\n', "[rules] min_accesses phải là số nguyên từ 1 trở lên, không phải true."),
    ('[rules]\nmin_accesses = 1.5\n', "[rules] min_accesses phải là số nguyên từ 1 trở lên, không phải 1.5."),
    ('[organisation]\nroot = 42\n', "[organisation] root phải là tên đảng bộ gốc"),
    ('[organisation]\nlevel = "huyen"\n', "[organisation] level phải là \"xa\" hoặc \"tinh\", không phải 'huyen'."),
    ('[inputs]\nmembers = 5\n', "[inputs] members phải là đường dẫn tệp"),
    ('recipients = "Ban Tổ chức"\n', 'recipients phải là một danh sách chữ trong ngoặc kép, ví dụ recipients = '
     '["Ban Tổ chức Tỉnh ủy", "Lưu VP"], không phải \'Ban Tổ chức\'.'),
    ('recipients = ["Lưu VP", 3]\n', "không phải 3 (mục thứ 2)."),
    ('rules = 5\n', "rules phải là một mục [rules]"),
    ('[rules]\nrounding = "round"\n', "[rules] rounding phải là \"half-up\" hoặc \"truncate\", không phải 'round'."),
    ('[rules]\nsmartphone_only = "yes"\n', "[rules] smartphone_only phải là true hoặc false"),
    ('[rules]\nstrict_targets = 1\n', "[rules] strict_targets phải là true hoặc false, không phải 1."),
    ('[rules]\nquarter_active = "every_month"\n', "[rules] quarter_active phải là \"every-month\", \"any-month\" "
     "hoặc \"last-month\", không phải 'every_month'. Có phải 'every-month'?"),
    ('[rules]\nstale_days = -1\n', "[rules] stale_days phải là số ngày, nguyên, từ 0 trở lên, không phải -1."),
    ('[columns]\n"Mã thẻ Đảng" = "cardd"\n', "[columns] \"Mã thẻ Đảng\" phải là tên cột của sotay, một trong: card, "),
    ('[targets]\ninstalled_rate = true\n', "[targets] installed_rate phải là tỷ lệ từ 0 đến 1"),
    ('[targets]\nactive_rate = 150\n', "không phải 150."),
    ('[targets]\nactive_rate = "95%"\n', "không phải '95%'."),
    ('[targets.tags.state_agency]\ninstalled_rate = -0.1\n', "[targets.tags.state_agency] installed_rate phải là"),
    ('[targets.units]\n"Chi bộ A" = 1\n', "[targets.units] \"Chi bộ A\" phải là một mục [targets.units.\"Chi bộ A\"]"),
    ('[targets.deadlines]\ninstalled_rate = "31/7/2026"\n', "[targets.deadlines] installed_rate phải là một ngày "
     "dạng 2026-07-31, không phải '31/7/2026'."),
    ('[history]\npath = false\n', "[history] path phải là đường dẫn tệp"),
    ('[report]\ntemplates = ["a"]\n', "[report] templates phải là đường dẫn thư mục"),
])
def test_a_wrong_type_or_value_names_the_key_and_what_is_expected(tmp_path, text, said):
    message = _fail(text, tmp_path)
    assert message.startswith(f"{tmp_path / 'sotay.toml'}: ") and said in message, message


def test_every_mistake_is_counted_but_only_the_first_is_spelt_out(tmp_path):
    message = _fail('[rules]\nmin_accesses = 0\nstale_days = "x"\n[inputs]\nusage = 1\n', tmp_path)
    assert "[inputs] usage" in message and message.endswith("không phải 1. Còn 2 lỗi khác.")


def test_a_config_built_by_hand_is_checked_too():
    with pytest.raises(InputError, match=r"sotay.toml: \[rules\] min_accesses"):
        Config(rules={"min_accesses": 0})


def test_defaults_are_filled_in_and_targets_stay_as_written(tmp_path):
    path = tmp_path / "sotay.toml"
    path.write_text('[organisation]\nroot = "Đảng bộ xã T"\n[targets]\nactive_rate = 90\n'
                    '[targets.deadlines]\ninstalled_rate = "2026-07-31"\nmeeting_rate = 2026-08-15\n', encoding="utf-8")
    config = load_config(path)
    assert config.rules == {"rounding": "half-up", "min_accesses": 1, "smartphone_only": False,
                            "strict_targets": False, "quarter_active": "every-month", "stale_days": 20}
    assert config.signature == {"on_behalf": "T/M BAN THƯỜNG VỤ", "position": "PHÓ BÍ THƯ", "name": ""}
    assert config.organisation == {"root": "Đảng bộ xã T", "code": "ĐU"}
    assert config.targets == {"active_rate": 90, "deadlines": {"installed_rate": dt.date(2026, 7, 31),
                                                               "meeting_rate": dt.date(2026, 8, 15)}}
    assert (config.inputs, config.columns, config.recipients, config.history, config.report) == ({}, {}, [], {}, {})
    assert config.input_path("usage") is None and config.root_name == "Đảng bộ xã T"
    assert Config().rules["quarter_active"] == "every-month" and Config().rules["stale_days"] == 20


def test_the_shipped_sample_is_valid_under_the_schema():
    config = load_config(SAMPLE / "sotay.toml")
    assert config.organisation["root"] == "Đảng bộ xã Hoa Lộc"
    assert set(config.inputs) == {"members", "usage", "meetings", "units"}


def _known_keys(model: type[BaseModel] = Settings, prefix: tuple = ()) -> list[tuple]:
    """Every (section…, key) of the schema."""
    out = []
    for name, info in model.model_fields.items():
        out.append((*prefix, name))
        inner = info.annotation
        for arg in (inner, *getattr(inner, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out += _known_keys(arg, (*prefix, name))
    return out


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_key_missing_one_letter_is_pointed_back_to_itself(data):
    path = data.draw(st.sampled_from([k for k in _known_keys() if len(k) == 2 and k[0] != "targets"]))
    key = path[-1]
    cut = data.draw(st.integers(0, len(key) - 1))
    typo = key[:cut] + key[cut + 1:]
    if not typo or typo in Settings.model_fields[path[0]].annotation.model_fields:
        return
    with pytest.raises(InputError) as caught:
        validate({path[0]: {typo: 1}})
    assert f"có phải '{key}'?" in str(caught.value)


def test_bad_config_through_the_cli_exits_2_with_one_vietnamese_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[rules]\nmin_accesses = "một"\n', encoding="utf-8")
    result = runner.invoke(app, ["stats", "-p", "2026-06", "-c", str(bad)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        f"Lỗi: {bad}: [rules] min_accesses phải là số nguyên từ 1 trở lên, không phải 'một'."]
    assert "Traceback" not in result.output


def test_init_writes_every_key_of_the_schema_and_reads_back(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path), "--tinh", "Thanh Hóa", "--xa", "Hoa Lộc",
                                 "--nguoi-ky", "Lê Văn A"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "sotay.toml").read_text(encoding="utf-8")
    missing = [".".join(k) for k in _known_keys() if not re.search(rf"\b{k[-1]}\b", text)]
    assert missing == []
    config = load_config(tmp_path / "sotay.toml")
    assert config.organisation == {"root": "Đảng bộ xã Hoa Lộc", "level": "xa", "superior": "ĐẢNG BỘ TỈNH THANH HÓA",
                                   "issuer": "ĐẢNG ỦY XÃ HOA LỘC", "issuer_title": "Đảng ủy xã Hoa Lộc",
                                   "place": "Hoa Lộc", "code": "ĐU"}
    assert config.signature["name"] == "Lê Văn A" and config.rules == Config().rules
    assert config.targets["tags"]["armed_forces"] == {"meeting_rate": False}
    # what init shows commented out is valid too, once the '#' is taken away
    setting = re.compile(r'^# (\[[^\]]+\]|(?:[\w-]+|"[^"]+") = .+)$')
    uncommented = "\n".join(m.group(1) if (m := setting.match(line)) else line for line in text.splitlines())
    assert uncommented != text
    full = validate(tomllib.loads(uncommented))
    assert full.inputs.units and full.history.path and full.targets.deadlines.installed_rate == dt.date(2026, 7, 31)


def test_init_for_a_province_writes_its_own_bodies(tmp_path):
    assert runner.invoke(app, ["init", str(tmp_path), "--tinh", "Thanh Hóa"]).exit_code == 0
    config = load_config(tmp_path / "sotay.toml")
    assert (config.organisation["level"], config.organisation["code"]) == ("tinh", "BTCTU")


@pytest.fixture
def own_files(tmp_path, monkeypatch):
    """A folder without sotay.toml and two small exports of a commune that is not Hoa Lộc."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "dv.csv").write_text(csv_text([
        ["Số thẻ", "Họ và tên", "Chi bộ", "Tình trạng"],
        ["1", "A1", "Chi bộ Bắc", "Đang sinh hoạt"],
        ["2", "A2", "Chi bộ Bắc", "Đang sinh hoạt"],
        ["3", "B1", "Chi bộ Nam", "Đang sinh hoạt"],
    ]), encoding="utf-8")
    (folder / "tk.csv").write_text(csv_text([
        ["Số thẻ", "Trạng thái", "Ngày kích hoạt", "Lần truy cập gần nhất"],
        ["1", "Đã kích hoạt", "01/03/2026", "10/06/2026"],
    ]), encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder


def test_inputs_given_without_a_config_never_take_the_sample(own_files):
    config = load_config(inputs_given=True)
    assert not config.is_sample and config.inputs == {} and config.root_name == "Toàn đảng bộ"
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--members", "dv.csv", "--usage", "tk.csv",
                                 "--format", "json", "--no-history"])
    assert result.exit_code in (0, 1), result.output
    assert "MẪU" not in result.stderr and "Hoa Lộc" not in result.output
    payload = json.loads(result.stdout)
    assert payload["root"] != "Đảng bộ xã Hoa Lộc"
    assert {u.get("name") for u in payload["units"]} <= {payload["root"], "Chi bộ Bắc", "Chi bộ Nam"}
    total = payload["total"]
    for figure in ("regular_meetings", "thematic_meetings", "chi_bo_met", "present", "attendance_rate",
                   "meeting_rate"):
        assert total.get(figure) is None, (figure, total.get(figure))


def test_without_config_or_inputs_the_sample_runs_and_says_so(own_files):
    config = load_config()
    assert config.is_sample and config.organisation["root"] == "Đảng bộ xã Hoa Lộc"
    result = runner.invoke(app, ["stats", "-p", "2026-06", "--no-history"])
    line = [x for x in result.stderr.splitlines() if "DỮ LIỆU MẪU" in x]
    assert line and line[0].startswith("Không có sotay.toml ở thư mục này và không có tệp đầu vào: đang chạy trên "
                                       "DỮ LIỆU MẪU (Đảng bộ xã Hoa Lộc, không phải số liệu thật)"), result.stderr


def test_a_config_in_the_folder_wins_over_the_sample(own_files):
    (own_files / "sotay.toml").write_text('[organisation]\nroot = "Đảng bộ xã Bình An"\n[inputs]\n'
                                          'members = "dv.csv"\n', encoding="utf-8")
    config = load_config()
    assert not config.is_sample and config.root_name == "Đảng bộ xã Bình An"
    assert config.input_path("members") == str(own_files / "dv.csv")
