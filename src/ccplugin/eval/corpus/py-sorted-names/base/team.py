"""Team roster."""


def members(roster: dict[str, str]) -> list[str]:
    return list(roster)
