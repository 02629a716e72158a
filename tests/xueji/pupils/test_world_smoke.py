def test_world_builds(world):
    assert world.pupils["a1"].student_number.startswith("G")
    assert world.units["a3"].path.startswith(world.units["county_a"].path)
