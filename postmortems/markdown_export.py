"""The post-mortem as a Markdown file, section by section as the guide's post-incident review template."""

from django.utils.text import slugify

from postmortems.document import Document, Section, build_document, clean_text
from postmortems.models import ActionItem, ActionItemStatus, PostMortem

NOT_RECORDED = "_Not recorded._"
NONE_RECORDED = "_None recorded._"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _paragraphs(text: str) -> list[str]:
    text = clean_text(text)
    return [text] if text else [NOT_RECORDED]


def _grouped(sections: list[Section], mark: str) -> list[str]:
    out = []
    for section in sections:
        out += [f"### {section.title}"]
        out += [f"- {mark} {item}" for item in section.items] or [NONE_RECORDED]
        out += [""]
    return out


def _action_item(item: ActionItem) -> list[str]:
    owner = _name(item.owner) if item.owner else "unassigned"
    due = item.due_date.isoformat() if item.due_date else "not set"
    box = "[x]" if item.status == ActionItemStatus.DONE else "[ ]"
    title = f"~~**{item.title}**~~" if item.status == ActionItemStatus.WONT_DO else f"**{item.title}**"
    line = f"- {box} {title} [Owner: {owner}] [Due: {due}]"
    if item.status == ActionItemStatus.DONE and item.completed_at:
        line += f" [Done: {item.completed_at:%Y-%m-%d}]"
    elif item.status == ActionItemStatus.IN_PROGRESS:
        line += " [In progress]"
    elif item.status == ActionItemStatus.WONT_DO:
        line += f" [Won't do: {' '.join(clean_text(item.wont_do_reason).split())}]"
    details = [line for line in clean_text(item.description).split("\n") if line.strip()]
    details = [line.strip().removeprefix("- ").removeprefix("* ") for line in details]
    if item.factor_id:
        details.append(f"Addresses: {item.factor.title or item.factor.description.splitlines()[0]}")
    if item.tracker_url:
        details.append(f"Tracker: {item.tracker_url}")
    return [line, *(f"  - {detail}" for detail in details)]


def render_markdown(doc: Document) -> str:
    pm = doc.postmortem
    out = [f"# {doc.heading}", "", "## Metadata"]
    out += [f"- **{label}**: {value or 'Not recorded'}" for label, value in doc.metadata]
    out += ["", "## Executive Summary", *_paragraphs(pm.executive_summary), ""]

    out += ["## What Happened (Timeline)"]
    time_format = "%Y-%m-%d %H:%M:%S" if doc.timeline_with_dates else "%H:%M:%S"
    for entry in doc.timeline:
        text = " ".join(clean_text(entry.text).split())
        stamp = f"{entry.at:{time_format}}"
        out.append(f"- **{stamp}** - {text} (key event)" if entry.is_key_event else f"- {stamp} - {text}")
    if not doc.timeline:
        out.append(NONE_RECORDED)
    out += ["", "### Key Insights"]
    out += [f"- {insight.label}: {insight.text} ({insight.span})" for insight in doc.insights]
    out += [""]

    out += ["## Impact Assessment", ""]
    for title, facts in doc.impact:
        out += [f"### {title}"]
        out += [f"- **{label}**: {' '.join(value.split()) if value else 'Not recorded'}" for label, value in facts]
        out += [""]

    out += ["## Root Cause Analysis", "", "### Immediate Cause", *_paragraphs(pm.immediate_cause), ""]
    out += ["### 5 Whys"]
    for why in doc.whys:
        out += [f"{why.position}. {' '.join(why.question.split())}", f"   → {' '.join(why.answer.split())}"]
    if not doc.whys:
        out.append(NONE_RECORDED)
    out += ["", "### Contributing Factors"]
    for number, factor in enumerate(doc.factors, start=1):
        description = " ".join(factor.description.split())
        title = f"**{factor.title}** ({factor.get_category_display()})" if factor.title else (
            f"({factor.get_category_display()})"
        )
        out.append(f"{number}. {title}: {description}")
    if not doc.factors:
        out.append(NONE_RECORDED)
    out += ["", "### Root Cause", *_paragraphs(pm.root_cause), ""]

    out += ["## What Went Well", "", *_grouped(doc.went_well, "✓")]
    out += ["## What Could Be Improved", "", *_grouped(doc.improve, "✗")]

    out += ["## Action Items", ""]
    for label, items in doc.action_items:
        out += [f"### {label}"]
        if not items:
            out += [NONE_RECORDED, ""]
        for item in items:
            out += [*_action_item(item), ""]

    out += ["## Lessons Learned", ""]
    for number, lesson in enumerate(doc.lessons, start=1):
        out += [f"{number}. {lesson}", ""]
    if not doc.lessons:
        out += [NONE_RECORDED, ""]

    out += ["## Appendix", ""]
    for section in doc.appendix:
        out += [f"### {section.title}"]
        out += [f"- {item}" for item in section.items] or [NONE_RECORDED]
        out += [""]
    return "\n".join(out).rstrip("\n") + "\n"


def postmortem_markdown(postmortem: PostMortem) -> str:
    return render_markdown(build_document(postmortem))


def markdown_filename(postmortem: PostMortem) -> str:
    return f"postmortem-{postmortem.incident.reference}-{slugify(postmortem.title)[:60] or 'review'}.md"
