"""The patient-education articles the routines come from, by the file name a routine cites."""

from __future__ import annotations

__all__ = ["ARTICLE_TITLES", "article_title"]

#: Routine files name an article by its file (``source: 003_e4878caa4eb5b3c5.txt``);
#: people want its title.  The last article has no title line of its own.
ARTICLE_TITLES: dict[str, str] = {
    "000_9d9c839b8d787981.txt": "Lumbar Extension: Purpose, Exercises, and More",
    "001_5d56999893589086.txt": "Lumbar Extension Overview",
    "002_3c3a546b5e9af9a3.txt": "Low Back Flexion Exercise Step-By-Step Progression",
    "003_e4878caa4eb5b3c5.txt": "McKenzie Exercises for Your Lower Back",
    "004_a9dc1eb00e524355.txt": "Lower back exercises and stretches (untitled article)",
}


def article_title(source: str) -> str:
    """The title of the article ``source`` names (the file name itself if unknown)."""
    return ARTICLE_TITLES.get(source, source)
