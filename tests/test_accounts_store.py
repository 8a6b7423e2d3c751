"""The account store under stress: concurrent changes, key rotation cut short, a lost key file,
hand-edited config.json, accounts from the environment, what configure echoes, the home's mode.

Each test has its own ``LUAGATE_HOME`` (none of the caller's ``LUAGATE_*`` settings) and never
reaches the network: calls are dry runs or go to the built-in demo account.
"""

from __future__ import annotations

import errno
import io
import json
import multiprocessing
import os
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import luagate.accounts.store as store_module
from luagate.accounts.secrets import write_private
from luagate.accounts.store import AccountStore
from luagate.cli import main
from luagate.errors import SecretStoreError
from luagate.gateway.gateway import Gateway

SECRET = "tok-Zq81-very-secret-value"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LUAGATE_HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("LUAGATE_") and name != "LUAGATE_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return tmp_path / "home"


def make_store(home: Path, **env: str) -> AccountStore:
    return AccountStore(home=home, environ={"LUAGATE_HOME": str(home), **env})


def aircall(store: AccountStore):
    return Gateway(store).provider("aircall")


def configure(home: Path, account: str, token: str, **env: str) -> None:
    store = make_store(home, **env)
    store.configure(aircall(store), account, set_values={"api_id": "1", "api_token": token})


def token_of(home: Path, account: str, **env: str) -> str:
    store = make_store(home, **env)
    return store.credentials(aircall(store), account)["api_token"]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. concurrent configure and rotate-key ------------------------------------------------------


def _slow_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every config.json write waits first: without a lock, each process would read the file,
    wait here, and write back its own copy over the others'."""
    real = store_module.write_private

    def slow(path: str, data: bytes) -> None:
        time.sleep(0.3)
        real(path, data)

    monkeypatch.setattr(store_module, "write_private", slow)


def _child(home: str, job: str, start: Any) -> None:
    store = make_store(Path(home))
    start.wait()
    if job == "rotate":
        store.rotate_key()
    else:
        store.configure(aircall(store), job, set_values={"api_id": "1", "api_token": job + "-tok"})


def _run_together(home: Path, jobs: list[str]) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(len(jobs))
    children = [context.Process(target=_child, args=(str(home), job, start)) for job in jobs]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0] * len(jobs)


def test_concurrent_configure_runs_all_keep_their_accounts(home, monkeypatch):
    configure(home, "default", SECRET)
    _slow_writes(monkeypatch)
    jobs = [f"acc{i}" for i in range(5)]
    _run_together(home, jobs)
    store = make_store(home)
    assert store.stored_accounts(aircall(store)) == sorted(["default", *jobs])
    for job in jobs:
        assert token_of(home, job) == job + "-tok"
    assert token_of(home, "default") == SECRET


def test_rotate_key_alongside_configure_leaves_every_secret_readable(home, monkeypatch):
    configure(home, "default", SECRET)
    key_before = (home / "secret.key").read_bytes()
    _slow_writes(monkeypatch)
    _run_together(home, ["rotate", "acc1", "acc2"])
    assert (home / "secret.key").read_bytes() != key_before
    assert token_of(home, "default") == SECRET
    assert token_of(home, "acc1") == "acc1-tok" and token_of(home, "acc2") == "acc2-tok"
    assert not (home / "secret.key.new").exists()


def test_changes_are_made_under_the_homes_lock(home):
    import fcntl

    configure(home, "default", SECRET)
    fd = os.open(home / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another luagate command is changing the home
    done = threading.Event()

    def change() -> None:
        configure(home, "sales", "sales-tok")
        done.set()

    worker = threading.Thread(target=change)
    worker.start()
    time.sleep(0.3)
    assert not done.is_set()  # it waits for the lock
    os.close(fd)
    worker.join(10)
    assert done.is_set() and token_of(home, "sales") == "sales-tok"


def test_a_store_that_read_the_file_before_a_rotation_still_decrypts_after_it(home):
    configure(home, "default", SECRET)
    serving = make_store(home)  # as a long-running `luagate serve` would
    assert serving.accounts(aircall(serving)) == ["default"]
    make_store(home).rotate_key()
    assert serving.credentials(aircall(serving), "default")["api_token"] == SECRET


# -- 2. write_private ---------------------------------------------------------------------------


def test_concurrent_writers_of_one_file_never_collide(tmp_path):
    path = str(tmp_path / "config.json")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        start.wait()
        try:
            for i in range(40):
                write_private(path, f"{n}-{i}\n".encode())
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Path(path).read_text().endswith("-39\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["config.json"]  # no temporary file left behind


def test_write_private_leaves_another_writers_temporary_file_alone(tmp_path):
    path = tmp_path / "config.json"
    other = tmp_path / "config.json.tmp"
    other.write_text("someone else's")
    write_private(str(path), b"{}\n")
    assert path.read_text() == "{}\n" and other.read_text() == "someone else's"


def test_a_failed_write_is_a_secret_store_error_naming_the_file(tmp_path, monkeypatch):
    def full(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(SecretStoreError, match=r"cannot write .*config\.json: No space left"):
        write_private(str(tmp_path / "config.json"), b"{}")
    assert os.listdir(tmp_path) == []


# -- 3. rotate-key cut short --------------------------------------------------------------------


def _failing_replace(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    real = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if os.fspath(dst) == str(target):
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def test_rotate_key_failing_to_replace_the_key_file_loses_nothing(home, capsys, monkeypatch):
    configure(home, "default", SECRET)
    key_before = (home / "secret.key").read_bytes()
    with monkeypatch.context() as patch:
        _failing_replace(patch, home / "secret.key")
        code, out, err = cli(capsys, "rotate-key")
    assert code == 1, out
    assert err.startswith("error[secret_store]: ") and "Traceback" not in err
    assert "mv " in err  # what finishes it by hand
    assert SECRET not in out + err
    # reading falls back on the side key, and finishes the rotation
    assert token_of(home, "default") == SECRET
    assert not (home / "secret.key.new").exists()
    assert (home / "secret.key").read_bytes() != key_before
    assert token_of(home, "default") == SECRET


def test_rotate_key_failing_to_write_config_changes_nothing(home, capsys, monkeypatch):
    configure(home, "default", SECRET)
    key_before = (home / "secret.key").read_bytes()
    config_before = (home / "config.json").read_bytes()
    with monkeypatch.context() as patch:
        _failing_replace(patch, home / "config.json")
        code, out, _ = cli(capsys, "rotate-key", "--json")
    assert code == 1
    error = json.loads(out)["error"]  # one JSON error, no traceback
    assert error["type"] == "secret_store" and "nothing was changed" in error["message"]
    assert (home / "secret.key").read_bytes() == key_before
    assert (home / "config.json").read_bytes() == config_before
    assert not (home / "secret.key.new").exists()
    assert token_of(home, "default") == SECRET


def _cut_short(home: Path) -> bytes:
    """The state a rotation killed after saving config.json leaves: config.json under the
    new key (in secret.key.new), secret.key still the old one."""
    from cryptography.fernet import Fernet

    new = Fernet.generate_key()
    store = make_store(home)
    old = store._load()
    tokens = old["providers"]["aircall"]["accounts"]
    for fields in tokens.values():
        plain = store.secrets.decrypt(fields["api_token"]["encrypted"], "x")
        fields["api_token"] = {"encrypted": Fernet(new).encrypt(plain.encode()).decode()}
    write_private(str(home / "secret.key.new"), new + b"\n")
    write_private(str(home / "config.json"), json.dumps(old).encode())
    return new


def test_a_change_after_a_rotation_cut_short_finishes_it_first(home):
    configure(home, "default", SECRET)
    new = _cut_short(home)
    configure(home, "sales", "sales-tok")  # must not encrypt under the old key
    assert (home / "secret.key").read_bytes().strip() == new
    assert not (home / "secret.key.new").exists()
    assert token_of(home, "default") == SECRET and token_of(home, "sales") == "sales-tok"


def test_doctor_finishes_a_rotation_cut_short_or_says_what_to_do(home, capsys, monkeypatch):
    configure(home, "default", SECRET)
    new = _cut_short(home)
    # another command holds the lock: doctor cannot finish it, and says how
    with monkeypatch.context() as patch:
        patch.setattr(AccountStore, "recover_rotation", lambda self: False)
        code, out, _ = cli(capsys, "doctor", "--json")
    [problem] = json.loads(out)["problems"]
    assert code == 1 and "cut short" in problem["problem"]
    assert problem["fix"] == f"mv {home / 'secret.key.new'} {home / 'secret.key'}"
    code, out, _ = cli(capsys, "doctor", "--json")
    assert code == 0, out
    assert (home / "secret.key").read_bytes().strip() == new


def test_a_stale_side_key_from_a_rotation_that_never_saved_is_removed(home):
    configure(home, "default", SECRET)
    key_before = (home / "secret.key").read_bytes()
    from cryptography.fernet import Fernet

    write_private(str(home / "secret.key.new"), Fernet.generate_key() + b"\n")
    configure(home, "sales", "sales-tok")
    assert (home / "secret.key").read_bytes() == key_before
    assert not (home / "secret.key.new").exists()
    assert token_of(home, "default") == SECRET


# -- 4. a missing key file is never silently replaced -------------------------------------------


def test_a_missing_key_file_is_not_replaced_while_secrets_need_it(home, capsys):
    configure(home, "default", SECRET)
    configure(home, "sales", "sales-tok")
    (home / "secret.key").unlink()
    config_before = (home / "config.json").read_bytes()
    store = make_store(home)
    with pytest.raises(SecretStoreError) as caught:
        store.configure(aircall(store), "ops", set_values={"access_token": "ops-tok"})
    message = caught.value.message
    assert "secret.key is missing" in message and "Restore" in message
    assert "aircall account 'default' field api_token" in message
    assert "luagate configure aircall --account sales --unset api_token" in message
    assert not (home / "secret.key").exists()
    assert (home / "config.json").read_bytes() == config_before
    code, _, err = cli(
        capsys, "configure", "aircall", "--account", "ops", "--set", "access_token=x"
    )
    assert code == 1 and err.startswith("error[secret_store]: the key file")
    assert not (home / "secret.key").exists()


def test_re_entering_the_only_secret_without_its_key_makes_a_new_key(home):
    configure(home, "default", SECRET)
    (home / "secret.key").unlink()
    with pytest.raises(SecretStoreError, match="no key to decrypt"):
        token_of(home, "default")
    configure(home, "default", "fresh-tok")  # replaces the value the lost key encrypted
    assert token_of(home, "default") == "fresh-tok"


# -- 5. a hand-edited config.json ---------------------------------------------------------------

BAD_EDITS = [
    (
        ("accounts", "default", "api_token"),
        {"encrypted": 5},
        "\"providers.aircall.accounts.default.api_token\" (aircall account 'default', field"
        ' api_token): "encrypted" is a number, not a string',
    ),
    (
        ("accounts", "default", "api_id"),
        None,
        "(aircall account 'default', field api_id) is null, not a string",
    ),
    (
        ("accounts", "default", "api_token"),
        [SECRET],
        "(aircall account 'default', field api_token) is an array, not a string",
    ),
    (
        ("accounts", "default", "api_token"),
        {"encrypted": "x", "plain": SECRET},
        'field api_token) is an object other than {"encrypted": "<token>"}',
    ),
    (("policy",), ["allow"], '"providers.aircall.policy" is an array, not an object'),
    (
        ("policy",),
        {"write": "yes", "read": "allow"},
        '"providers.aircall.policy.write" is "yes", not one of "allow", "ask", "deny"',
    ),
    (
        ("policy",),
        {"read": "Deny"},
        '"providers.aircall.policy.read" is "Deny", not one of "allow", "ask", "deny" (lowercase)',
    ),
    (("policy",), {"read": 1}, '"providers.aircall.policy.read" is a number, not one of'),
    (("default",), 7, '"providers.aircall.default" is a number, not a string'),
]


def _edit(home: Path, where: tuple[str, ...], value: Any) -> None:
    config = json.loads((home / "config.json").read_text())
    node = config["providers"]["aircall"]
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    (home / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(("where", "value", "said"), BAD_EDITS)
@pytest.mark.parametrize(
    "command",
    [
        ["status", "--json"],
        ["rotate-key"],
        ["call", "aircall.list_calls", "--dry-run"],
        ["lua", "-e", "return 1"],
        ["configure", "aircall", "--account", "x", "--set", "api_id=1"],
    ],
)
def test_a_hand_edited_value_is_one_clear_error_everywhere(
    home, capsys, where, value, said, command
):
    configure(home, "default", SECRET)
    _edit(home, where, value)
    code, out, err = cli(capsys, *command)
    assert code == 1
    text = out + err
    assert "secret_store" in text and "is not a luagate configuration" in text, text
    assert said in text.replace('\\"', '"'), text
    assert SECRET not in text and "Traceback" not in text


@pytest.mark.parametrize(("where", "value", "said"), BAD_EDITS)
def test_doctor_reports_a_hand_edited_value(home, capsys, where, value, said):
    configure(home, "default", SECRET)
    _edit(home, where, value)
    code, out, _ = cli(capsys, "doctor", "--json")
    assert code == 1
    [problem] = json.loads(out)["problems"]
    assert said in problem["problem"] and SECRET not in out
    assert str(home / "config.json") in problem["fix"]


def test_a_store_never_sends_a_null_as_the_text_none(home):
    configure(home, "default", SECRET)
    _edit(home, ("accounts", "default", "api_id"), None)
    spec = aircall(make_store(home / "elsewhere"))
    with pytest.raises(SecretStoreError, match="field api_id"):
        make_store(home).credentials(spec, "default")


# -- 6. deleting the last account ----------------------------------------------------------------


def test_deleting_the_last_account_says_scripts_use_the_demo_account(home, capsys):
    configure(home, "a", SECRET)
    code, out, _ = cli(capsys, "configure", "aircall", "--account", "a", "--delete")
    assert code == 0
    assert "None" not in out
    assert "scripts calling app.integrations.aircall.<function> now use the built-in demo" in out
    assert "(was 'a')" in out
    configure(home, "a", SECRET)
    code, out, _ = cli(capsys, "configure", "aircall", "--account", "a", "--delete", "--json")
    result = json.loads(out)
    assert result["default_account"] is None and result["demo"] is True
    assert "built-in demo account" in result["default_changed"]
    assert "None" not in result["default_changed"]


def test_deleting_the_last_account_of_a_provider_without_demo(home, capsys, monkeypatch):
    import luagate.gateway.gateway as gateway_module

    monkeypatch.setattr(gateway_module, "demo_account", lambda name: None)
    configure(home, "a", SECRET)
    code, out, _ = cli(capsys, "configure", "aircall", "--account", "a", "--delete", "--json")
    result = json.loads(out)
    assert code == 0
    assert result["default_account"] is None and result["demo"] is False
    said = result["default_changed"]
    assert "aircall has no account left (was 'a')" in said and "not_configured" in said


def test_the_first_account_says_it_replaces_the_demo(home, capsys):
    code, out, _ = cli(capsys, "configure", "aircall", "--account", "a", "--set", "api_id=1")
    assert code == 0
    assert "default account is now 'a' (was the built-in demo account)" in out


# -- 7. accounts from the environment follow the name rules --------------------------------------

BAD_ENV = {
    "LUAGATE_AIRCALL_LIST_CALLS_API_ID": "1",
    "LUAGATE_AIRCALL_LIST_CALLS_API_TOKEN": SECRET,
    "LUAGATE_AIRCALL_1X_API_ID": "2",
    "LUAGATE_AIRCALL_1X_API_TOKEN": SECRET,
}


def test_environment_accounts_with_refused_names_are_ignored(home):
    store = make_store(home, **BAD_ENV, LUAGATE_AIRCALL_SALES_API_ID="3")
    spec = aircall(store)
    assert store.accounts(spec) == ["sales"]
    assert store.default_account(spec) == "sales"
    ignored = store.ignored_env_accounts(spec)
    assert [(i["name"], i["variables"]) for i in ignored] == [
        ("1x", ["LUAGATE_AIRCALL_1X_API_ID", "LUAGATE_AIRCALL_1X_API_TOKEN"]),
        (
            "list_calls",
            ["LUAGATE_AIRCALL_LIST_CALLS_API_ID", "LUAGATE_AIRCALL_LIST_CALLS_API_TOKEN"],
        ),
    ]
    assert "lowercase letters" in ignored[0]["reason"]
    assert "function name" in ignored[1]["reason"]
    # never the default either: with no other account, the built-in demo serves
    store = make_store(home, **BAD_ENV)
    assert store.accounts(aircall(store)) == []
    assert Gateway(store).is_demo(aircall(store), "demo")


def test_doctor_and_status_say_why_an_environment_account_is_ignored(home, capsys, monkeypatch):
    for name, value in BAD_ENV.items():
        monkeypatch.setenv(name, value)
    code, out, _ = cli(capsys, "doctor", "--json")
    assert code == 1 and SECRET not in out
    problems = json.loads(out)["problems"]
    said = [p["problem"] for p in problems if p["provider"] == "aircall"]
    assert any("'list_calls', which is ignored" in s and "function name" in s for s in said)
    assert any("'1x', which is ignored" in s for s in said)
    code, out, _ = cli(capsys, "doctor")
    assert "'list_calls', which is ignored" in out
    code, out, _ = cli(capsys, "status", "--json")
    entry = json.loads(out)[0]
    assert [a["name"] for a in entry["ignored_accounts"]] == ["1x", "list_calls"]
    assert entry["default_account"] == "demo"
    code, out, _ = cli(capsys, "status")
    assert "Ignored: aircall account 'list_calls'" in out and SECRET not in out


# -- 8. configure never echoes a --set value -----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "SUPERSECRETXYZ"],
        ["--set", "api_id=1", "--set", "SUPERSECRETXYZ"],
        ["--set", "=SUPERSECRETXYZ"],
        ["--unset", "api_token=SUPERSECRETXYZ"],
    ],
)
def test_configure_never_echoes_a_malformed_set_value(home, capsys, args):
    code, out, err = cli(capsys, "configure", "aircall", *args)
    assert code == 2
    assert "SUPERSECRET" not in out + err
    assert "FIELD=VALUE" in err
    assert not (home / "config.json").exists()


def test_the_malformed_set_is_named_by_its_position(home, capsys):
    _, _, err = cli(capsys, "configure", "aircall", "--set", "api_id=1", "--set", "SUPERSECRETXYZ")
    assert "the 2nd --set has no '='" in err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["configure", "aircall", "SUPERSECRETXYZ"], "1 value"),
        (["configure", "aircall", "--api-token=SUPERSECRETXYZ"], "--api-token and 1 value"),
        (["configure", "aircall", "--api-token", "SUPERSECRETXYZ", "x"], "--api-token and 2"),
        (["configure", "SUPERSECRETXYZ"], "argument provider: invalid choice (not shown"),
        (["configure", "aircall", "--read", "SUPERSECRETXYZ"], "argument --read: invalid choice"),
        (["rotate-key", "SUPERSECRETXYZ"], "1 value"),
        (["configure", "aircall", "SUPERSECRETXYZ", "--json"], "1 value"),
    ],
)
def test_a_stray_word_is_never_echoed_by_configure_or_rotate_key(home, capsys, args, named):
    # argparse would print "unrecognized arguments: SUPERSECRETXYZ"
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert "SUPERSECRET" not in out + err
    assert named in err
    assert not (home / "config.json").exists()
    if "--json" in args:
        assert "1 value" in json.loads(out)["error"]["message"]


def test_other_commands_still_name_their_unrecognized_arguments(home, capsys):
    code, _, err = cli(capsys, "status", "--bogus", "word")
    assert code == 2 and "unrecognized arguments: --bogus word" in err


# -- 9. the home's mode ----------------------------------------------------------------------------


def test_the_home_is_created_private(home):
    old = os.umask(0o022)
    try:
        configure(home, "default", SECRET)
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_doctor_warns_of_a_home_others_can_read_and_fails_one_they_can_write(home, capsys):
    configure(home, "default", SECRET)
    home.chmod(0o755)
    code, out, _ = cli(capsys, "doctor", "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] is True
    [warning] = result["warnings"]
    assert "can be read by others (mode 755)" in warning["problem"]
    assert warning["fix"] == f"chmod 700 {home}"
    code, out, _ = cli(capsys, "doctor")
    assert code == 0 and "can be read by others" in out
    home.chmod(0o777)
    code, out, _ = cli(capsys, "doctor", "--json")
    [problem] = json.loads(out)["problems"]
    assert code == 1 and "can be written by others (mode 777)" in problem["problem"]
    home.chmod(0o700)
    code, out, _ = cli(capsys, "doctor", "--json")
    assert code == 0 and "warnings" not in json.loads(out)


def test_the_audit_log_creates_the_home_private_too(tmp_path):
    from luagate.gateway.audit import AuditLog

    home = tmp_path / "fresh-home"
    AuditLog(str(home / "audit.log")).record(function="aircall.list_calls", ok=True)
    assert (home / "audit.log").exists()
    assert home.stat().st_mode & 0o777 == 0o700
