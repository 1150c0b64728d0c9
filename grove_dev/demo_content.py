"""Realistic demo posts: markdown with headings, lists, quotes, code and tables, per theme.

Deterministic (a seeded ``random.Random``), so `grove seed` is idempotent and the benchmark
sees the same posts on every run. Three themes (a garden journal, software notes, a cook
who walks) give the demo tenants distinct voices.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from grove.slugs import slugify
from grove_dev.demo_showcase import SHOWCASES


@dataclass(frozen=True)
class Theme:
    titles: tuple[str, ...]
    tags: tuple[str, ...]
    openings: tuple[str, ...]
    paragraphs: tuple[str, ...]
    headings: tuple[str, ...]
    list_items: tuple[str, ...]
    quotes: tuple[str, ...]
    code: tuple[tuple[str, str], ...] = ()
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoPost:
    slug: str
    title: str
    description: str
    tags: list[str]
    markdown: str
    status: str = "published"
    # How long ago it was published and last edited (days); drives its storage tier.
    published_days_ago: float = 1.0
    edited_days_ago: float = 1.0
    extra: dict[str, str] = field(default_factory=dict)


GARDEN = Theme(
    titles=(
        "Putting the Garden to Bed for Winter",
        "What the Old Oak Taught Me About Patience",
        "Saving Seeds: A Beginner's Notes",
        "Leaf Mould in Twelve Months",
        "The Quiet Joy of a Cold Frame",
        "Planting Garlic on the Shortest Days",
        "Why I Stopped Digging",
        "A Year of Rain, Measured",
        "Espalier Apples on a North Wall",
        "The Hedge That Feeds the Birds",
        "Dahlias: Lift or Leave?",
        "Notes from the Potting Shed",
        "First Frost, Last Tomatoes",
        "Building a Dead Hedge from Prunings",
    ),
    tags=("garden", "seasons", "compost", "trees", "wildlife", "seeds", "winter", "soil"),
    openings=(
        "The light goes early now. By half past four the garden is a set of silhouettes, and the "
        "robin that follows me along the beds has given up for the day before I have.",
        "Every autumn I promise myself I will be more organised, and every autumn the leaves come "
        "down faster than I can rake them. This year I decided to stop fighting and start collecting.",
        "There is a particular smell to a garden after the first hard frost: cold iron and wet "
        "bark, with something sweet underneath where the fallen apples have started to turn.",
        "I have kept a notebook by the back door for eleven years. It is mostly dates and weather, "
        "but reading it back is the closest thing I have to a conversation with my younger self.",
    ),
    paragraphs=(
        "The beds that were bare last winter lost a surprising amount of soil to the rain. This "
        "year everything gets a blanket: two inches of leaf mould on the vegetable beds and a "
        "rough mulch of shredded prunings under the fruit bushes.",
        "Worms do the work if you let them. By March the mulch will have been pulled down into "
        "the top few inches, and the soil underneath will be dark, crumbly and alive in a way "
        "no amount of digging ever achieved.",
        "I cut the perennials back by half rather than to the ground. The hollow stems give "
        "solitary bees somewhere to overwinter, and the seed heads look lovely with frost on them.",
        "Garlic wants a cold spell to split into cloves, so the bulbs go in before the end of "
        "November. I plant them a hand's width apart, pointy end up, just deep enough that the "
        "blackbirds cannot pull them out again.",
        "The compost heap is the most honest part of the garden. Whatever you put in, you get "
        "back, only slower. Too many grass clippings and it sulks; too much cardboard and it sleeps.",
        "Patience is not the same as waiting. Waiting is passive; patience is noticing, day after "
        "day, the small changes that add up to a season.",
        "A cold frame is just a box with a lid, but it moves the garden three weeks further south. "
        "Lettuce sown in October will be ready to pick in February, when anything green feels like a gift.",
        "The hedge along the lane is hawthorn, blackthorn, hazel and a single field maple that "
        "arrived on its own. In a good year the birds strip the haws by Christmas.",
        "I measure the rain with a plastic gauge screwed to the fence post. It is not scientific, "
        "but after a few years the numbers start to tell you which months to worry about.",
        "Seeds saved from your own plants slowly adapt to your garden. The beans I grow now are "
        "the great-grandchildren of a packet I bought in 2016, and they germinate in colder soil every year.",
    ),
    headings=("What I did this week", "Why it matters", "What I would do differently",
              "Tools and materials", "A note on timing", "Looking ahead"),
    list_items=(
        "a sharp pair of secateurs (and a rag to wipe them between plants)",
        "a wheelbarrow of leaf mould from last year's cage",
        "twine, not plastic ties, for anything that will still be there in spring",
        "label every row: you will not remember in March",
        "leave a corner wild for the hedgehogs",
        "check the stored apples weekly and remove any that turn",
        "water the pots under the eaves, where the rain never reaches",
        "sow broad beans in deep pots for an early start",
    ),
    quotes=(
        "To plant a garden is to believe in tomorrow.",
        "The best time to plant a tree was twenty years ago. The second best time is now.",
        "Nature does not hurry, yet everything is accomplished.",
    ),
    tables=(
        "| Month | Rain (mm) | Frosts |\n|---|---:|---:|\n| October | 96 | 1 |\n"
        "| November | 121 | 6 |\n| December | 88 | 11 |\n",
    ),
)

SOFTWARE = Theme(
    titles=(
        "SQLite Is Enough More Often Than You Think",
        "Reading a Flame Graph Without Fear",
        "Cache Invalidation, Honestly",
        "The Case for Boring Deploys",
        "What I Learned Migrating a Cron Job",
        "Idempotency Keys in Practice",
        "Testing Against the Real Database",
        "Designing an API You Can Delete",
        "Timestamps in Milliseconds, Always Named",
        "A Gentle Introduction to Consistent Hashing",
        "Feature Flags Without the Debt",
        "Small Modules, Clear Seams",
        "The Cost of a Cold Start",
        "Logging for the Person on Call",
    ),
    tags=("databases", "caching", "testing", "operations", "python", "design", "performance"),
    openings=(
        "Every system I have worked on eventually grew a cache, and every cache eventually served "
        "something it should not have. This post is about the second half of that story.",
        "The bug report said the page was showing last week's price. The cache said it had been "
        "invalidated. Both were telling the truth, which is the worst kind of bug.",
        "I used to think performance work started with a profiler. Now I think it starts with a "
        "question: what would the fastest possible version of this request have to do?",
        "This is the write-up I wish I had read before spending a weekend on a migration that "
        "should have taken an afternoon.",
    ),
    paragraphs=(
        "The trick is to define the floor first. If a request could be answered with zero reads, "
        "every read it makes is a cost you chose; write that number down before you optimise.",
        "Invalidation is not hard because deleting a key is hard. It is hard because you have to "
        "know every key that depends on a row, in every layer, including the ones someone added last year.",
        "Single-flight is one of those ideas that sounds like an optimisation and turns out to be "
        "a correctness tool: when a hundred requests miss at once, one of them should do the work.",
        "A mocked database will happily return rows for a query that would fail in production. "
        "Run the tests against the real engine, even if it is a local file; the schema is part of the code.",
        "Units belong in names. A variable called `timeout` invites a bug; `timeout_ms` does not. "
        "The same goes for columns, configuration keys and metric labels.",
        "The boring deploy is the one where nothing happens. It is also the one that took the most "
        "work: small changes, reversible migrations, and a dashboard that tells you within a minute.",
        "When the cron job ran twice, nothing broke, because every step checked whether it had "
        "already been done. That property cost us one extra column and saved a night of cleanup.",
        "Latency budgets are easier to keep than to recover. Give each layer a number, measure it "
        "in CI, and treat a regression like a failing test.",
        "The best API is the one you can change. Version the payloads, keep errors machine-readable, "
        "and never make a client parse a human sentence to decide what to do.",
        "Logs are for the person who will read them at three in the morning. Say what happened, "
        "to which object, and what the system did about it; skip the rest.",
    ),
    headings=("The problem", "What we tried first", "What worked", "Measuring it",
              "Trade-offs", "Further reading"),
    list_items=(
        "write down the floor before you optimise",
        "name every unit: `_ms`, `_bytes`, `_count`",
        "test against the real engine, not a mock",
        "make every background job idempotent",
        "one definition of each rule, imported everywhere",
        "measure p95, not the average",
        "prefer deleting a cache entry to updating it",
    ),
    quotes=(
        "There are only two hard things in computer science: cache invalidation and naming things.",
        "Make it work, make it right, make it fast.",
        "Premature optimisation is the root of all evil, but late optimisation is the root of all outages.",
    ),
    code=(
        ("python", "async def get_post(slug: str) -> Post | None:\n"
                   "    cached = await kv.get(f\"post:{slug}\", type=\"json\")\n"
                   "    if cached is not None:\n"
                   "        return Post(**cached)\n"
                   "    return await load_from_d1(slug)\n"),
        ("sql", "SELECT slug, title, published_at_ms\n  FROM posts\n WHERE tenant = ?1\n"
                "   AND status = 'published'\n ORDER BY published_at_ms DESC\n LIMIT 10;\n"),
        ("sh", "$ grove stats --url http://localhost:8787\n$ curl -sI http://autumn.localhost:8787/blog\n"),
    ),
    tables=(
        "| Layer | p50 (ms) | p95 (ms) |\n|---|---:|---:|\n| Edge cache | 0.5 | 0.5 |\n"
        "| KV | 1 | 30 |\n| D1 | 10 | 25 |\n",
    ),
)

KITCHEN = Theme(
    titles=(
        "Wild Garlic Pesto, Three Ways",
        "A Rainy Walk on the Ridge Path",
        "Sourdough for People Who Keep Forgetting",
        "Blackberry and Apple Crumble, No Recipe",
        "Foraging Rules I Actually Follow",
        "The Best Soup I Made This Winter",
        "Elderflower Cordial in a Hurry",
        "Walking the Canal at Dawn",
        "Pickling the Glut",
        "Nettle Soup and Other Stubborn Things",
        "Chestnuts, Roasted and Otherwise",
        "Packing Lunch for a Long Walk",
        "A Loaf for the Week",
        "Mushrooms I Leave Alone",
    ),
    tags=("recipes", "foraging", "walks", "baking", "seasonal", "preserving"),
    openings=(
        "The ridge path was mud from the stile to the trig point, and I did not mind at all. "
        "There is a kind of rain that makes a walk better, and Saturday had it.",
        "I make this every spring, as soon as the wild garlic carpets the wood below the house. "
        "You smell it before you see it.",
        "This is not a recipe so much as a set of habits. Once you have made it a few times you "
        "will stop measuring, and it will be better for it.",
        "My grandmother never wrote anything down. These notes are my attempt to catch what she "
        "did with her hands before I forget it too.",
    ),
    paragraphs=(
        "Pick the young leaves before the flowers open; after that they turn tough and the flavour "
        "gets sharp. A carrier bag full will make three jars, which is never enough.",
        "The starter lives in the fridge and gets fed when I remember. It has survived a fortnight "
        "of neglect more than once; sourdough is hardier than the internet suggests.",
        "Toast the nuts. It takes four minutes and it is the difference between a good pesto and "
        "one people ask you about.",
        "The canal is glassy at dawn. Herons stand in the shallows like they have been placed "
        "there, and the only sound is the lock gates creaking as the water settles.",
        "Never pick anything you cannot identify with certainty, and never pick the last of "
        "anything. The rule is a third for you, a third for the animals, a third to grow back.",
        "Soup is the most forgiving thing in the kitchen. Soften an onion slowly, add whatever "
        "needs using, cover with stock, and leave it alone longer than feels right.",
        "A flask of tea, a wedge of cheese, two apples and a heel of bread. Anything more "
        "elaborate and you spend the walk thinking about lunch instead of the hills.",
        "The brine is one part salt to twenty parts water by weight. Keep the vegetables under "
        "it and leave the jar somewhere cool; the bubbles on day three mean it is working.",
        "Chestnuts need a cross cut in the shell or they explode, which I learned the loud way. "
        "Twenty minutes in a hot oven, then peel them while they are still too hot to hold.",
        "The path drops through beech woods to the river, then climbs again past the ruined "
        "chapel. It is eight miles with the detour, and worth every one.",
    ),
    headings=("You will need", "Method", "Where to go", "A word of warning", "Variations",
              "What I would change"),
    list_items=(
        "a large handful of wild garlic leaves, washed",
        "50 g walnuts or hazelnuts, toasted",
        "a good glug of olive oil",
        "half a lemon, juiced",
        "sturdy boots and a waterproof that actually is",
        "a paper bag, not plastic, for anything you pick",
        "salt, tasted as you go",
    ),
    quotes=(
        "Cooking is like love. It should be entered into with abandon or not at all.",
        "Not all those who wander are lost.",
        "Eat seasonally, walk daily, share generously.",
    ),
    tables=(
        "| Ingredient | Amount |\n|---|---|\n| Flour | 500 g |\n| Water | 350 g |\n"
        "| Salt | 10 g |\n| Starter | 100 g |\n",
    ),
)

THEMES: dict[str, Theme] = {"garden": GARDEN, "software": SOFTWARE, "kitchen": KITCHEN}


def first_sentence(markdown: str) -> str:
    """The excerpt of a post: the first sentence of its first paragraph."""
    first = markdown.strip().split("\n\n", 1)[0].replace("\n", " ")
    head, dot, _ = first.partition(". ")
    return head + (dot.strip() or "")


class _Deck:
    """Paragraphs dealt without repeats: a blog of the demo's size never shows one twice (a
    longer run, as the benchmarks seed, reshuffles once the deck is empty)."""

    def __init__(self, rng: random.Random, items: tuple[str, ...]) -> None:
        self._rng, self._items, self._left = rng, items, list[str]()

    def deal(self) -> str:
        if not self._left:
            self._left = list(self._items)
            self._rng.shuffle(self._left)
        return self._left.pop()


def _body(rng: random.Random, theme: Theme, deck: _Deck, sections: int) -> str:
    parts = [deck.deal(), ""]
    for heading in rng.sample(theme.headings, k=min(sections, len(theme.headings))):
        parts += [f"## {heading}", ""]
        flavour = rng.random()
        if flavour < 0.35:
            items = rng.sample(theme.list_items, k=rng.randint(3, 5))
            parts += [f"- {item}" for item in items] + [""]
        elif flavour < 0.5:
            steps = rng.sample(theme.list_items, k=3)
            parts += [f"{n}. {step.capitalize()}" for n, step in enumerate(steps, start=1)] + [""]
        elif flavour < 0.7 and theme.code:
            language, code = rng.choice(theme.code)
            parts += [f"```{language}", code.rstrip("\n"), "```", ""]
        elif flavour < 0.85 and theme.tables:
            parts += [rng.choice(theme.tables)]
        else:
            parts += [f"> {rng.choice(theme.quotes)}", ""]
    return "\n".join(parts)


def demo_posts(
    theme_name: str,
    count: int,
    *,
    seed: str,
    max_age_days: float = 900.0,
    drafts: int = 0,
    archived: int = 0,
) -> list[DemoPost]:
    """``count`` posts with publication ages spread from today back to ``max_age_days``
    (so every storage tier is represented), the first ``drafts`` of them drafts and the
    oldest ``archived`` archived."""
    theme = THEMES[theme_name]
    rng = random.Random(f"{seed}:{theme_name}:{count}")
    deck = _Deck(rng, theme.openings + theme.paragraphs)
    # The hand-written posts come right after the drafts: the newest a reader sees.
    showcase = {drafts + n: post for n, post in enumerate(SHOWCASES.get(theme_name, ())) if drafts + n < count}
    posts: list[DemoPost] = []
    used: set[str] = set()
    for index in range(count):
        base = theme.titles[index % len(theme.titles)]
        series = index // len(theme.titles)
        title = base if series == 0 else f"{base}, Part {series + 1}"
        if index in showcase:
            title = showcase[index].title
        slug = slugify(title)
        while slug in used:
            slug += "-x"
        used.add(slug)
        # Ages grow roughly geometrically: many recent posts, a long tail of old ones.
        age_days = 0.5 + (max_age_days - 0.5) * (index / max(count - 1, 1)) ** 2
        status = "published"
        if index < drafts:
            status = "draft"
        elif index >= count - archived:
            status = "archived"
        if index in showcase:
            markdown, tags = showcase[index].markdown, sorted(showcase[index].tags)
        else:
            markdown = _body(rng, theme, deck, sections=rng.randint(1, 2))
            tags = sorted(rng.sample(theme.tags, k=rng.randint(1, 3)))
        posts.append(
            DemoPost(
                slug=slug,
                title=title,
                description=first_sentence(markdown),
                tags=tags,
                markdown=markdown,
                status=status,
                published_days_ago=age_days,
                edited_days_ago=age_days if rng.random() < 0.8 else age_days / 2,
            )
        )
    return posts
