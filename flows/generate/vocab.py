"""Word lists for names, titles and comments (no commas: CSVs are written unquoted)."""

COMPANY_A = ("Blue", "Red", "North", "South", "Silver", "Golden", "Bright", "Swift", "Clear",
             "Green", "Iron", "Stone", "Summit", "Harbor", "Prairie", "Coastal", "Pioneer",
             "Atlas", "Nova", "Polar", "Cedar", "Maple", "Granite", "Copper", "Vertex",
             "Lumen", "Orbit", "Quantum", "Rapid", "Union", "Alpine", "Delta", "Echo",
             "Falcon", "Horizon", "Kestrel", "Meridian", "Pinnacle", "Sterling", "Tidal")
COMPANY_B = ("Harbor", "Ridge", "Labs", "Works", "Systems", "Analytics", "Logistics", "Health",
             "Capital", "Foods", "Motors", "Media", "Energy", "Retail", "Networks", "Robotics",
             "Bio", "Learning", "Freight", "Partners", "Studios", "Supply", "Dynamics",
             "Software", "Cloud", "Data", "Pharma", "Textiles", "Outdoors", "Markets")
COMPANY_C = ("Inc", "LLC", "Ltd", "GmbH", "Group", "Co", "Corp", "AG", "SA", "BV")
FIRST = ("Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Isla", "James",
         "Kavya", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tara",
         "Uma", "Victor", "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Carmen", "Dmitri",
         "Emma", "Felix", "Gita", "Hannah", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nina")
LAST = ("Smith", "Garcia", "Chen", "Muller", "Okafor", "Rossi", "Tanaka", "Silva", "Novak",
        "Kim", "Patel", "Johansson", "Dubois", "Nguyen", "Kowalski", "Haddad", "Costa",
        "Andersen", "Moreau", "Singh", "Lopez", "Ivanova", "Brown", "Yilmaz", "Sato",
        "Fischer", "Martin", "Rahman", "Walsh", "Ortiz")
CONTACT_ROLES = ("VP Operations", "Head of Data", "IT Admin", "Director of Engineering",
                 "Product Manager", "Analyst", "Finance Manager", "Team Lead", "CTO", "COO")
FOLLOW_UP_TITLES = ("Send recap after call", "Share training resources", "Follow up on open questions",
                    "Schedule next check-in", "Review usage report with customer",
                    "Confirm success plan milestones", "Escalate feature request")
ONBOARDING_TITLES = ("Kickoff call", "Configure integrations", "Admin training session",
                     "Onboarding review")
RENEWAL_TITLES = ("Prepare renewal proposal", "Renewal call")
NPS_COMMENTS = ("Great product and support", "Reporting is slow at times",
                "Would like more integrations", "Pricing feels high for our usage",
                "The mobile app needs work", "Our team relies on it daily",
                "Onboarding was smooth", "Hard to find features", "Support resolved things fast",
                "We are considering alternatives")
