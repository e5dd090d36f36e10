--[[
untrusted.lua: what a notebook output may not do, for both renderers.

Data is text. The narrative and tables that notebooks emit (text/markdown outputs) are read
as pandoc markdown by both engines, so a data value such as `<img src=x onerror=…>`,
`` `#read("…")`{=typst} ``, `$5$` or `@lafabrique` would otherwise become raw HTML, raw
Typst, math or a citation. This filter turns them back into the text they were typed as:

  * inside a markdown output (a Div with class `cell-output-markdown`: Quarto's wrapper of a
    text/markdown output, which quarto_options.lua reproduces on the pandoc path), every
    RawInline becomes its text and every RawBlock a paragraph of its text, whatever its
    format (html, typst, latex, openxml…); a link is kept only to a web page, an e-mail
    address or a place in the report (`[x](javascript:…)` is its text); an image is its
    source text (outputs show images as image outputs, never as markdown);
  * everywhere (written chapters included): math is shown as typed (`$5$`): the report has
    no formula, and an unexpected one fails the accessible PDF (no alt text); a citation
    that is not a cross-reference (`@fig-…`, `@tbl-…`, `@sec-…`) is shown as typed: the
    report has no bibliography.

Raw HTML and raw Typst therefore come only from the project's templates, the cooperative's
written chapters (markdown cells of the merged notebook) and the charts: a chart is trusted
when its Div carries the class `cae-trusted-<nonce>`, with the nonce of the document's
`cae-trust` metadata, drawn at random for each render by the engine (a data value cannot
guess it). That class is removed here, so the output does not depend on the nonce.

Quarto runs this file at `pre-ast` (see _quarto.yml: before its own filters add raw
Typst and HTML); the pandoc path (quarto_options.lua) calls `neutralize` on each markdown
output it parses, then runs the same document-wide pass.
]]

local M = {}

local stringify = pandoc.utils.stringify

-- Quarto's cross-reference prefixes (src/resources/filters/crossref): a citation with one of
-- these is a cross-reference, resolved by Quarto or by quarto_options.lua.
local CROSSREF_PREFIXES = {
  "fig", "tbl", "lst", "sec", "eq", "thm", "lem", "cor", "prp", "cnj", "def", "exm", "exr",
  "sol", "rem", "tip", "nte", "wrn", "imp", "cau",
}
local is_crossref_prefix = {}
for _, prefix in ipairs(CROSSREF_PREFIXES) do
  is_crossref_prefix[prefix] = true
end

function M.is_crossref(id)
  local prefix = id:match("^(%a+)%-")
  return prefix ~= nil and is_crossref_prefix[prefix] == true
end

local trusted_class = nil

function M.read_trust(meta)
  local value = meta and meta["cae-trust"]
  local nonce = value and stringify(value) or ""
  if nonce:match("^%x+$") and #nonce >= 16 then
    trusted_class = "cae-trusted-" .. nonce
  else
    trusted_class = nil
  end
end

local function is_trusted(div)
  return trusted_class ~= nil and div.classes:includes(trusted_class)
end

local function untrust(div)
  if trusted_class == nil then
    return div
  end
  local classes = pandoc.List({})
  for _, class in ipairs(div.classes) do
    if class ~= trusted_class then
      classes:insert(class)
    end
  end
  div.classes = classes
  return div
end

-- The text of a raw element, as typed: an HTML tag or comment, the content of a
-- `…`{=typst} span or of a ```{=html} block. The writers escape it like any text.
local function raw_inline_text(raw)
  return pandoc.Str(raw.text)
end

local function raw_block_text(raw)
  local inlines = pandoc.Inlines({})
  for line in (raw.text .. "\n"):gmatch("([^\n]*)\n") do
    if #inlines > 0 then
      inlines:insert(pandoc.LineBreak())
    end
    inlines:insert(pandoc.Str(line))
  end
  return pandoc.Para(inlines)
end

local SAFE_SCHEMES = { http = true, https = true, mailto = true }

local function safe_target(target)
  local compact = target:gsub("[%c%s]", ""):lower()
  if compact:sub(1, 1) == "#" then
    return true
  end
  local scheme = compact:match("^([%a][%w+.-]*):")
  return scheme ~= nil and SAFE_SCHEMES[scheme] == true
end

local function link_text(link)
  if safe_target(link.target) then
    return nil
  end
  return link.content
end

local function image_text(image)
  return pandoc.Str("![" .. stringify(image.caption) .. "](" .. image.src .. ")")
end

-- Neutralize raw elements in blocks that come from a notebook output; trusted Divs (the
-- charts) are kept as they are, without their trust class.
function M.neutralize(blocks)
  local function walk_blocks(list)
    local result = pandoc.List({})
    for _, block in ipairs(list) do
      if block.t == "Div" and is_trusted(block) then
        result:insert(untrust(block))
      elseif block.t == "RawBlock" then
        result:insert(raw_block_text(block))
      else
        result:insert(block:walk({
          traverse = "topdown",
          Div = function(div)
            if is_trusted(div) then
              return untrust(div), false
            end
          end,
          RawBlock = raw_block_text,
          RawInline = raw_inline_text,
          Link = link_text,
          Image = image_text,
        }))
      end
    end
    return result
  end
  return pandoc.Blocks(walk_blocks(blocks))
end

-- Document-wide: math and non-cross-reference citations are text.
local function math_as_text(math)
  local fence = math.mathtype == "DisplayMath" and "$$" or "$"
  return pandoc.Str(fence .. math.text .. fence)
end

local function citation_as_text(cite)
  for _, citation in ipairs(cite.citations) do
    if M.is_crossref(citation.id) then
      return nil
    end
  end
  -- the reader keeps the source text of the citation in the Cite's content
  if #cite.content > 0 then
    return cite.content
  end
  local parts = pandoc.Inlines({})
  for i, citation in ipairs(cite.citations) do
    if i > 1 then
      parts:insert(pandoc.Str(";"))
      parts:insert(pandoc.Space())
    end
    parts:insert(pandoc.Str("@" .. citation.id))
  end
  return parts
end

function M.document_pass(blocks)
  return blocks:walk({
    Math = math_as_text,
    Cite = citation_as_text,
  })
end

-- As a standalone filter (Quarto): markdown outputs, then the document-wide pass.
function M.Pandoc(doc)
  M.read_trust(doc.meta)
  local blocks = doc.blocks:walk({
    traverse = "topdown",
    Div = function(div)
      if div.classes:includes("cell-output-markdown") then
        div.content = M.neutralize(div.content)
        return div, false
      end
    end,
  })
  doc.blocks = M.document_pass(blocks)
  doc.meta["cae-trust"] = nil
  return doc
end

-- quarto_options.lua loads this file as a module (dofile) and calls the functions above;
-- pandoc and Quarto run it as a filter through the returned list.
if CAE_UNTRUSTED_AS_MODULE then
  return M
end
return { { Pandoc = M.Pandoc } }
