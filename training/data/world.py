"""Facts of the simulated marketplace: countries, cities, pay levels, and the text employers add.

Pay scales convert an occupation's USD reference into local currency at local levels, so a
Warsaw salary in PLN and a London salary in GBP are both plausible.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.schemas import Seniority


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    pay_scale: float  # local-currency amount per USD of the occupation's US pay reference
    weight: float  # share of members and jobs
    cities: tuple[str, ...]
    monthly_pay_share: float = 0.0  # share of salaries quoted per month

    @property
    def city_weights(self) -> tuple[float, ...]:
        """Zipf-like: jobs and people concentrate in the first (largest) cities."""
        return tuple(1.0 / (rank + 1) ** 1.3 for rank in range(len(self.cities)))

    def pick_city(self, rng) -> str:
        """A city of this country, drawn by size."""
        return rng.choices(self.cities, weights=self.city_weights)[0]


COUNTRIES: tuple[Country, ...] = (
    Country("US", "USD", 1.0, 0.28, ("New York", "San Francisco", "Austin", "Chicago", "Seattle", "Boston")),
    Country("GB", "GBP", 0.62, 0.15, ("London", "Manchester", "Birmingham", "Edinburgh", "Bristol")),
    Country("DE", "EUR", 0.72, 0.13, ("Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne"), 0.2),
    Country("FR", "EUR", 0.62, 0.08, ("Paris", "Lyon", "Toulouse", "Lille")),
    Country("NL", "EUR", 0.72, 0.06, ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"), 0.2),
    Country("PL", "PLN", 1.35, 0.07, ("Warsaw", "Kraków", "Wrocław", "Gdańsk"), 0.5),
    Country("IN", "INR", 14.0, 0.13, ("Bengaluru", "Mumbai", "Pune", "Hyderabad", "Delhi"), 0.3),
    Country("CA", "CAD", 1.05, 0.10, ("Toronto", "Vancouver", "Montreal", "Calgary")),
)
COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}
EU_COUNTRIES = ("DE", "FR", "NL", "PL")

SENIORITY_PAY = {
    Seniority.intern: 0.35,
    Seniority.entry: 0.7,
    Seniority.associate: 0.85,
    Seniority.mid_senior: 1.0,
    Seniority.director: 1.5,
    Seniority.executive: 2.0,
}
# Years of experience typical of each level: (low, high).
SENIORITY_YEARS = {
    Seniority.intern: (0, 1),
    Seniority.entry: (0, 2),
    Seniority.associate: (2, 5),
    Seniority.mid_senior: (4, 15),
    Seniority.director: (10, 25),
    Seniority.executive: (15, 35),
}
OFFICE_SENIORITY_WEIGHTS = {
    Seniority.intern: 4,
    Seniority.entry: 18,
    Seniority.associate: 22,
    Seniority.mid_senior: 40,
    Seniority.director: 11,
    Seniority.executive: 5,
}
HOURLY_SENIORITY_WEIGHTS = {
    Seniority.intern: 2,
    Seniority.entry: 45,
    Seniority.associate: 33,
    Seniority.mid_senior: 17,
    Seniority.director: 2,
    Seniority.executive: 1,
}
TITLE_PREFIXES = {
    Seniority.intern: ("Intern", "Trainee", "Working Student", "Summer Intern"),
    Seniority.entry: ("Junior", "Jr.", "Graduate", "Entry Level", "Assistant"),
    Seniority.associate: ("", "Associate", ""),
    Seniority.mid_senior: ("Senior", "Sr.", "Sr", "Lead", "Experienced", ""),
    Seniority.director: ("Head of", "Director,", "Principal", "Lead"),
    Seniority.executive: ("Chief", "VP", "Executive", "Global Head of"),
}

COMPANY_FIRST = (
    "North",
    "Blue",
    "Silver",
    "Bright",
    "Green",
    "Red",
    "Stone",
    "Iron",
    "Swift",
    "True",
    "Clear",
    "Oak",
    "Maple",
    "River",
    "Summit",
    "Harbor",
    "Pine",
    "Golden",
    "Nova",
    "Atlas",
    "Vertex",
    "Lumen",
    "Urban",
    "Peak",
)
COMPANY_SECOND = (
    "wind",
    "field",
    "bridge",
    "gate",
    "point",
    "line",
    "wave",
    "stone",
    "path",
    "works",
    "light",
    "forge",
    "spring",
    "crest",
    "ridge",
    "view",
    "side",
    "way",
    "port",
    "leaf",
)
COMPANY_SUFFIX = {
    "software_data": ("Labs", "Technologies", "Systems", "Analytics", "Software", "Cloud"),
    "design": ("Studio", "Creative", "Design Co.", "Studios"),
    "sales_marketing": ("Group", "Solutions", "Brands", "Media"),
    "finance": ("Capital", "Partners", "Financial", "Bank", "& Co. LLP"),
    "healthcare": ("Health", "Care", "Medical Centre", "Clinic", "Hospital Trust"),
    "retail": ("Stores", "Retail", "Market", "Supermarkets"),
    "hospitality": ("Hotels", "Kitchen", "Bistro", "Hospitality Group", "Coffee"),
    "logistics": ("Logistics", "Freight", "Distribution", "Fulfilment", "Transport"),
    "education": ("Academy", "School", "College", "Learning Trust", "Primary School"),
    "trades": ("Electrical", "Building Services", "Construction", "Engineering", "Motors"),
    "hr_admin": ("Recruitment", "Consulting", "Services", "People"),
    "customer_service": ("Connect", "Contact Centre", "Telecom", "Energy"),
}
# Families named after an ISCO-08 sub-major group ("isco-72") take their major group's suffixes.
ISCO_COMPANY_SUFFIX = {
    "0": ("Defence", "Forces", "Security"),
    "1": ("Group", "Holdings", "Partners", "Management"),
    "2": ("Associates", "Institute", "Partners", "Consulting", "Services"),
    "3": ("Technical Services", "Engineering", "Services", "Solutions"),
    "4": ("Services", "Office Solutions", "Administration"),
    "5": ("Services", "Care", "Stores", "Studio"),
    "6": ("Farms", "Growers", "Forestry", "Fisheries"),
    "7": ("Workshop", "Works", "Builders", "Crafts", "Engineering"),
    "8": ("Manufacturing", "Industries", "Plant", "Transport"),
    "9": ("Facilities", "Services", "Cleaning", "Labour Hire"),
}


def company_suffixes(family: str) -> tuple[str, ...]:
    """The words company names of a family end with."""
    if family in COMPANY_SUFFIX:
        return COMPANY_SUFFIX[family]
    return ISCO_COMPANY_SUFFIX[family.removeprefix("isco-")[:1]]


COMPANY_BLURBS = (
    "{company} is a fast-growing {industry} company with offices across Europe and North America.",
    "Founded in {year}, {company} serves over {n},000 customers in the {industry} sector.",
    "At {company} we believe great people make great {industry}.",
    "{company} is one of the leading employers in {industry}, trusted by thousands of clients.",
    "Join {company}, an award-winning {industry} business that keeps growing year after year.",
)
BENEFITS = (
    "We offer a competitive salary, 25 days holiday and a generous pension scheme.",
    "Benefits include private health insurance, dental cover and a cycle to work scheme.",
    "Perks: free lunch on Fridays, gym membership and an annual wellbeing allowance.",
    "What we offer: flexible hours, paid time off, 401(k) matching and health insurance.",
    "Employee discount, free uniform and paid breaks.",
    "Enjoy 30 vacation days, a learning budget and regular team events.",
)
EEO_STATEMENTS = (
    "{company} is an equal opportunity employer. All qualified applicants will receive consideration "
    "for employment without regard to race, colour, religion, sex, sexual orientation, gender identity, "
    "national origin, disability or protected veteran status.",
    "We are committed to diversity and inclusion and welcome applications from all backgrounds, "
    "regardless of age, gender, ethnicity or disability.",
    "We are an inclusive employer and will make reasonable accommodations for candidates with disabilities.",
)
APPLY_LINES = (
    "Apply now with your CV!",
    "To apply, click the button below and send us your CV.",
    "Interested? Send your CV and a short cover letter. No recruitment agencies please.",
    "Successful candidates will be subject to a background check.",
    "Please read our privacy notice before submitting your application.",
)
REQUIREMENT_INTROS = (
    "What you bring:",
    "Requirements:",
    "You have:",
    "Your profile:",
    "We are looking for someone with",
    "Must have:",
    "Essential:",
    "The ideal candidate has",
)
NICE_INTROS = ("Nice to have:", "Bonus points for", "Desirable:", "It is a plus if you know", "Preferred:")
ROLE_INTROS = (
    "We are hiring: {title}, to join our {team} team in {city}.",
    "As our new {title}, you will work closely with the {team} team.",
    "Our {team} team in {city} is hiring ({title}).",
    "{title} wanted for our growing {team} team.",
)
TEAMS = ("operations", "core", "platform", "customer", "central", "regional", "growth", "delivery")
VAGUE_HEADLINES = (
    "Open to new opportunities",
    "Looking for my next challenge",
    "Hard-working and reliable",
    "Seeking a new role",
    "Career changer",
)
SUMMARY_OPENERS = (
    "{title} with {years} years of experience.",
    "I have worked in the role of {title} for {years} years.",
    "Experienced {title} ({years} yrs).",
    "{years}+ years in {industry}, most recently {title}.",
    "Motivated {title} with a background in {industry}.",
)
SUMMARY_SKILL_LINES = (
    "Strong background in {skills}.",
    "Day to day I work with {skills}.",
    "Skilled in {skills}.",
    "Hands-on experience with {skills}.",
    "Also familiar with {skills}.",
)
SUMMARY_CLOSERS = (
    "Looking for a remote role.",
    "Open to relocation for the right opportunity.",
    "Keen to grow into a bigger role.",
    "Prefer a stable, full-time position.",
    "Available to start immediately.",
    "",
)
NOISE_SKILLS = ("Self-motivated", "Hard working", "Detail oriented", "Fast learner", "Reliable", "Punctual")
