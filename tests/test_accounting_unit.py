"""The CPU time of a job's process tree, read from /proc (grading/accounting.py), on
synthetic /proc snapshots and on real processes of this machine."""
import os
import subprocess
import sys
import time

import pytest

from grading.accounting import ProcStat, TreeCPU, parse_stat, processes

pytestmark = pytest.mark.fast


def stat(pid, ppid, own, reaped=0.0, start=1):
    return ProcStat(pid=pid, ppid=ppid, start=start, own=own, reaped=reaped)


def snap(*stats):
    return {s.pid: s for s in stats}


def test_parse_stat_reads_fields_after_the_last_parenthesis():
    # a command name may hold ") " and digits: the fields are counted after the last ")"
    fields = ["S", "7", "7", "7", "0", "-1", "0", "0", "0", "0", "0", "150", "50", "20", "10",
              "20", "0", "1", "0", "4242", "123456789", "300"]
    st = parse_stat("123 (evil) 9 9 9 (x) " + " ".join(fields))
    assert st == ProcStat(pid=123, ppid=7, start=4242, own=200 / os.sysconf("SC_CLK_TCK"),
                          reaped=30 / os.sysconf("SC_CLK_TCK"), rss=300 * os.sysconf("SC_PAGE_SIZE"))
    assert parse_stat("garbage") is None


def test_a_child_passed_up_to_its_parent_counts_once():
    t = TreeCPU(root=10)
    assert t.sample(snap(stat(10, 1, 0.1), stat(11, 10, 2.0))) == pytest.approx(2.1)
    # the child exits and its parent waits for it: its time moves into the parent's "reaped"
    assert t.sample(snap(stat(10, 1, 0.2, reaped=2.5))) == pytest.approx(2.7)


def test_a_process_that_vanishes_unreaped_still_counts():
    # bubblewrap's monitor exits without waiting for the pid namespace's init: that time
    # never reaches anyone's "reaped", and the tree keeps what was seen of it
    t = TreeCPU(root=10)
    t.sample(snap(stat(10, 1, 0.1), stat(11, 10, 0.1), stat(12, 11, 3.0)))
    assert t.sample(snap(stat(10, 1, 0.1))) == pytest.approx(3.2)


def test_a_reparented_process_stays_in_the_tree_and_others_do_not_count():
    t = TreeCPU(root=10)
    t.sample(snap(stat(10, 1, 0.1), stat(11, 10, 0.1), stat(12, 11, 1.0), stat(99, 1, 50.0)))
    # 11 exits unreaped; 12 is reparented to pid 1 and goes on working
    assert t.sample(snap(stat(10, 1, 0.1), stat(12, 1, 2.0), stat(99, 1, 60.0))) == pytest.approx(2.2)
    # 12 exits; a new process under its pid, outside the tree, is another process (its
    # start time differs): it does not count, and the old one's time stays
    assert t.sample(snap(stat(10, 1, 0.1), stat(12, 1, 0.5, start=2))) == pytest.approx(2.2)


def test_the_estimate_never_goes_down():
    t = TreeCPU(root=10)
    t.sample(snap(stat(10, 1, 0.5, reaped=1.0)))
    assert t.sample({}) == pytest.approx(1.5)


def test_a_real_process_tree_is_measured():
    burn = "import time\nt = time.process_time() + 0.8\nwhile time.process_time() < t: pass\n"
    parent = (f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burn!r}])\n"
              "import time\ntime.sleep(0.6)\n")
    proc = subprocess.Popen([sys.executable, "-c", parent])
    t = TreeCPU(proc.pid)
    while proc.poll() is None:
        t.sample()
        time.sleep(0.1)
    assert 0.8 <= t.seconds <= 2.0, t.seconds
    assert os.getpid() in processes()


def test_a_chain_that_exits_together_counts_once():
    # the kernel and its launcher exit between two samples; the launcher's parent waits
    # for the launcher, whose "reaped" held the kernel: the kernel's time is passed up once
    t = TreeCPU(root=10)
    t.sample(snap(stat(10, 1, 0.1), stat(11, 10, 0.2), stat(12, 11, 0.1), stat(13, 12, 1.5)))
    assert t.sample(snap(stat(10, 1, 0.1), stat(11, 10, 0.2, reaped=1.7))) == pytest.approx(2.0)
    # and when nobody waited for them, their time as last seen stays
    t = TreeCPU(root=10)
    t.sample(snap(stat(10, 1, 0.1), stat(11, 10, 0.2), stat(12, 11, 0.1), stat(13, 12, 1.5)))
    assert t.sample(snap(stat(10, 1, 0.1), stat(11, 10, 0.2))) == pytest.approx(1.9)


def test_time_passed_up_to_a_farther_ancestor_counts_once():
    # the inner sandbox's processes exit; their time lands on the outer pid namespace's
    # init (10), not on their parent (11), which is still there
    t = TreeCPU(root=9)
    t.sample(snap(stat(9, 1, 0.0), stat(10, 9, 0.0), stat(11, 10, 0.0), stat(12, 11, 0.1),
                  stat(13, 12, 1.8)))
    assert t.sample(snap(stat(9, 1, 0.0), stat(10, 9, 0.0, reaped=2.0), stat(11, 10, 0.0))) \
        == pytest.approx(2.0)


def test_resident_memory_of_the_tree_its_peak_and_who_is_over_a_limit():
    t = TreeCPU(root=10)
    mib = 1 << 20
    t.sample(snap(ProcStat(10, 1, 1, 0.1, 0.0, 300 * mib), ProcStat(11, 10, 1, 1.0, 0.0, 900 * mib),
                  ProcStat(99, 1, 1, 5.0, 0.0, 5000 * mib)))          # 99: not in the tree
    assert t.peak_rss == 900 * mib
    assert [st.pid for st in t.over(512 * mib)] == [11]
    t.sample(snap(ProcStat(10, 1, 1, 0.1, 0.0, 300 * mib)))          # the big one is gone
    assert t.over(512 * mib) == [] and t.peak_rss == 900 * mib


def test_resident_memory_of_a_real_process_is_read():
    code = "import sys; b = bytearray(200 << 20); sys.stdout.write('x'); sys.stdout.flush(); sys.stdin.read()"
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert p.stdout.read(1) == b"x"
        t = TreeCPU(root=p.pid)
        t.sample()
        assert 190 << 20 <= t.peak_rss <= 400 << 20, t.peak_rss   # bytearray zero-fills: resident
    finally:
        p.kill()
        p.wait()
