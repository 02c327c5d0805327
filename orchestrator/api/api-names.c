/* Names for containers created without one, as docker makes them: an
 * adjective and a notable scientist or engineer (docker's two word lists,
 * namesgenerator), another pair when the name is taken, with a digit after
 * it from the second try on; after six tries, 12 hex digits (docker's
 * fallback is the short ID). Never a name the user would be refused. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api-internal.h"
#include "state.h"

static const char *const cc__adjectives[] = {
        "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful",
        "blissful", "bold", "boring", "brave", "busy", "charming", "clever", "compassionate", "competent",
        "condescending", "confident", "cool", "cranky", "crazy", "dazzling", "determined", "distracted",
        "dreamy", "eager", "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic", "exciting",
        "fervent", "festive", "flamboyant", "focused", "friendly", "frosty", "funny", "gallant", "gifted",
        "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful", "hungry", "infallible",
        "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving",
        "lucid", "magical", "modest", "musing", "mystifying", "naughty", "nervous", "nice", "nifty",
        "nostalgic", "objective", "optimistic", "peaceful", "pedantic", "pensive", "practical", "priceless",
        "quirky", "quizzical", "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp",
        "silly", "sleepy", "stoic", "strange", "stupefied", "suspicious", "sweet", "tender", "thirsty",
        "trusting", "unruffled", "upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful",
        "xenodochial", "youthful", "zealous", "zen",
};

static const char *const cc__surnames[] = {
        "agnesi", "albattani", "allen", "almeida", "antonelli", "archimedes", "ardinghelli", "aryabhata",
        "austin", "babbage", "banach", "banzai", "bardeen", "bartik", "bassi", "beaver", "bell", "benz",
        "bhabha", "bhaskara", "black", "blackburn", "blackwell", "bohr", "booth", "borg", "bose", "bouman",
        "boyd", "brahmagupta", "brattain", "brown", "buck", "burnell", "cannon", "carson", "cartwright",
        "carver", "cerf", "chandrasekhar", "chaplygin", "chatelet", "chatterjee", "chaum", "chebyshev",
        "clarke", "cohen", "colden", "cori", "cray", "curie", "curran", "darwin", "davinci", "dewdney",
        "dhawan", "diffie", "dijkstra", "dirac", "driscoll", "dubinsky", "easley", "edison", "einstein",
        "elbakyan", "elgamal", "elion", "ellis", "engelbart", "euclid", "euler", "faraday", "feistel",
        "fermat", "fermi", "feynman", "franklin", "gagarin", "galileo", "galois", "ganguly", "gates",
        "gauss", "germain", "goldberg", "goldstine", "goldwasser", "golick", "goodall", "gould", "greider",
        "grothendieck", "haibt", "hamilton", "haslett", "hawking", "heisenberg", "hellman", "hermann",
        "herschel", "hertz", "heyrovsky", "hodgkin", "hofstadter", "hoover", "hopper", "hugle", "hypatia",
        "ishizaka", "jackson", "jang", "jemison", "jennings", "jepsen", "johnson", "joliot", "jones",
        "kalam", "kapitsa", "kare", "keldysh", "keller", "kepler", "khayyam", "khorana", "kilby", "kirch",
        "knuth", "kowalevski", "lalande", "lamarr", "lamport", "leakey", "leavitt", "lederberg", "lehmann",
        "lewin", "lichterman", "liskov", "lovelace", "lumiere", "mahavira", "margulis", "matsumoto",
        "maxwell", "mayer", "mccarthy", "mcclintock", "mclaren", "mclean", "mcnulty", "meitner", "mendel",
        "mendeleev", "meninsky", "merkle", "mestorf", "mirzakhani", "montalcini", "moore", "morse", "moser",
        "murdock", "napier", "nash", "neumann", "newton", "nightingale", "nobel", "noether", "northcutt",
        "noyce", "panini", "pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "poitras",
        "proskuriakova", "ptolemy", "raman", "ramanujan", "rhodes", "ride", "ritchie", "robinson",
        "roentgen", "rosalind", "rubin", "saha", "sammet", "sanderson", "satoshi", "shamir", "shannon",
        "shaw", "shirley", "shockley", "shtern", "sinoussi", "snyder", "solomon", "spence", "stonebraker",
        "sutherland", "swanson", "swartz", "swirles", "taussig", "tesla", "tharp", "thompson", "torvalds",
        "tu", "turing", "varahamihira", "vaughan", "villani", "visvesvaraya", "volhard", "wescoff", "wilbur",
        "wiles", "williams", "williamson", "wilson", "wing", "wozniak", "wright", "wu", "yalow", "yonath",
        "zhukovsky",
};

static unsigned cc__rand(unsigned n)
{
        unsigned v;
        if (getrandom(&v, sizeof(v), 0) != (ssize_t) sizeof(v))
                v = (unsigned) rand();
        return v % n;
}

char *cc_api_random_name(unsigned retry)
{
        for (;;) {
                const char *a = cc__adjectives[cc__rand(CC_ARRAY_SIZE(cc__adjectives))];
                const char *s = cc__surnames[cc__rand(CC_ARRAY_SIZE(cc__surnames))];
                if (strcmp(a, "boring") == 0 && strcmp(s, "wozniak") == 0)
                        continue; /* as docker: Steve Wozniak is not boring */
                if (retry > 0)
                        return cc_xasprintf("%s_%s%u", a, s, cc__rand(10));
                return cc_xasprintf("%s_%s", a, s);
        }
}

static bool cc__taken(const struct cc_api_ctrs *cs, const char *name)
{
        for (size_t i = 0; i < cs->n; i++)
                if (strcmp(cs->v[i].ct->name, name) == 0)
                        return true;
        return false;
}

char *cc_api_new_name(const struct cc_api_ctrs *cs)
{
        for (unsigned i = 0; i < 6; i++) {
                char *name = cc_api_random_name(i);
                if (!cc__taken(cs, name))
                        return name;
                free(name);
        }
        /* 12 hex digits, as docker's short ID */
        char *hex = cc_xmalloc(13);
        for (size_t i = 0; i < 12; i++)
                hex[i] = "0123456789abcdef"[cc__rand(16)];
        hex[12] = '\0';
        return hex;
}
