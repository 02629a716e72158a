"""The main navigation: each role's entries, in groups of related ones with a line between
groups, whatever order the apps registered them in."""

import re

from xueji.web.navigation import NAV_GROUPS, NAV_ITEMS


def nav_runs(html: str) -> list[list[str]]:
    """The navigation's labels, split where a group line stands."""
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    runs = [[]]
    for separator, label in re.findall(r'(<span class="nav-sep")|<a [^>]*>([^<]+)', nav):
        if separator:
            runs.append([])
        else:
            runs[-1].append(label.strip())
    return runs


def test_a_registrars_navigation_runs_in_groups(world, login, client):
    login(world.user("registrar_a1"))
    runs = nav_runs(client.get("/").content.decode())
    assert runs[0] == ["首页", "学生", "变动申请"]
    assert runs[1] == ["新生建籍", "录取名单", "上报检查"]
    assert {"已转出学生", "转学", "休学复学", "控辍保学", "控辍台账", "降级", "注销学籍", "信息变更"} == set(runs[2])
    assert runs[3] == ["档案移交", "纸质档案", "学籍核查"]
    assert runs[4] == ["毕业", "升级", "证书"]
    assert runs[5] == ["打印学籍卡", "文书核验", "数据导出", "控辍月报", "统计", "月报"]
    # Every entry once.
    labels = [label for run in runs for label in run]
    assert len(labels) == len(set(labels))


def test_a_head_teacher_has_a_short_navigation(world, login, client):
    login(world.user("teacher_a1"))
    runs = nav_runs(client.get("/").content.decode())
    assert runs == [["首页", "学生"], ["学籍核查"], ["打印学籍卡", "文书核验"]]


def test_every_entry_names_a_known_group():
    assert {item.group for item in NAV_ITEMS} <= set(NAV_GROUPS)
